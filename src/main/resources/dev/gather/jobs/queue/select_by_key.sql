-- The job an Idempotency-Key created, and whether it was for the same kind and input.
SELECT id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  progress, progress_message, snoozes,
  (kind = $2 AND input = $3) AS same_request
FROM jobs WHERE idempotency_key = $1
