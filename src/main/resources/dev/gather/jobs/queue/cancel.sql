-- A queued job is cancelled at once; a running one is flagged, and its worker told through NOTIFY. Watchers of the
-- job (GET /jobs/{id}/events) are told on gather_job_events, only when there are any (see V6__job_progress.sql).
WITH target AS (SELECT id, status FROM jobs WHERE id = $1 FOR UPDATE),
changed AS (
  UPDATE jobs j SET
    status = CASE WHEN target.status = 'queued' THEN 'cancelled' ELSE j.status END,
    finished_at = CASE WHEN target.status = 'queued' THEN now() ELSE j.finished_at END,
    last_error = CASE WHEN target.status = 'queued' THEN 'cancelled by request' ELSE j.last_error END,
    cancel_requested = true
  FROM target WHERE j.id = target.id AND target.status IN ('queued', 'running') RETURNING j.*)
SELECT id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  progress, progress_message, snoozes,
  CASE WHEN status = 'running' THEN pg_notify('gather_jobs_cancel', id::text) END AS told,
  CASE WHEN watched THEN pg_notify('gather_job_events', id::text) END AS shown
FROM changed
