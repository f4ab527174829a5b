-- Marks a job watched (its changes NOTIFY gather_job_events from now on) and returns it. An UPDATE, not a SELECT:
-- RETURNING gives the row as it is after any change that held its lock, so no change can fall between what the
-- watcher is shown and the first NOTIFY it gets.
UPDATE jobs SET watched = true WHERE id = $1
RETURNING id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  progress, progress_message, snoozes
