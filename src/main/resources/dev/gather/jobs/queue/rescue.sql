-- A lease that ran out means the worker died or hung: the attempt is spent, and the job goes back or fails.
WITH expired AS (
  SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < now() FOR UPDATE SKIP LOCKED),
rescued AS (
  UPDATE jobs j SET
    status = CASE WHEN j.cancel_requested THEN 'cancelled' WHEN j.attempts >= j.max_attempts THEN 'failed'
      ELSE 'queued' END,
    finished_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts THEN now() ELSE NULL END,
    run_at = now(), rescues = j.rescues + 1,
    last_error = 'lease expired: worker ' || COALESCE(j.lease_owner, '?') || ' stopped renewing it',
    lease_owner = NULL, lease_expires_at = NULL
  FROM expired WHERE j.id = expired.id RETURNING j.id, j.kind, j.status, j.watched)
SELECT id, status, CASE WHEN status = 'queued' THEN pg_notify('gather_jobs', kind) END AS woke,
  CASE WHEN watched THEN pg_notify('gather_job_events', id::text) END AS shown
FROM rescued
