-- The job that holds a unique key ($1 the values, $2 the period in seconds): the predicate is the jobs_unique
-- index's, so this is one index probe. Empty when the holder left its states since the insert met it (or the
-- period's bucket turned); the caller then inserts again.
SELECT id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  progress, progress_message, snoozes
FROM jobs WHERE unique_key = gather_unique_key($1::jsonb, $2::bigint) AND status = ANY (unique_states)
