-- Newest first, keyset-paged below $1. One statement per combination of filters (these four files) rather than
-- "$2 IS NULL OR status = $2": a cached statement may get a generic plan, which could then not use the
-- (status, id) and (kind, id) indexes for a rare status.
SELECT id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  progress, progress_message, snoozes
FROM jobs WHERE id < $1 ORDER BY id DESC LIMIT $2
