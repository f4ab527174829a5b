-- Marks a job watched (its changes NOTIFY gather_job_events from now on) and returns it. An UPDATE, not a SELECT:
-- RETURNING gives the row as it is after any change that held its lock, so no change can fall between what the
-- watcher is shown and the first NOTIFY it gets.
-- While this UPDATE holds the row's lock, a claim's FOR UPDATE SKIP LOCKED passes the job over, and a claimer that
-- found nothing else goes to sleep until the next wake: a queued, due job therefore wakes the workers again
-- (NOTIFY is sent at commit, once the lock is gone), or a job followed right after its enqueue (Prefer: wait)
-- could wait a whole jobs.pollMs.
UPDATE jobs SET watched = true WHERE id = $1
RETURNING id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  progress, progress_message, snoozes,
  CASE WHEN status = 'queued' AND run_at <= now() THEN pg_notify('gather_jobs', kind) END AS woke
