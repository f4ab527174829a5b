-- Up to $2 due jobs of the kinds $1, leased to $3 for $4 ms. SKIP LOCKED: concurrent claims take different jobs.
-- Paused kinds (job_kinds, see V5__job_kinds.sql) are left out: the ARRAY(...) runs once per claim over a table
-- that holds only kinds someone paused, so an install that never pauses pays one scan of an empty table.
-- Kinds with concurrency or rate limits are not claimed here but by claim_limited.sql.
WITH next AS (
  SELECT id FROM jobs WHERE status = 'queued' AND run_at <= now() AND kind = ANY($1)
    AND kind <> ALL (ARRAY(SELECT kind FROM job_kinds WHERE paused))
  ORDER BY priority DESC, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_owner = $3,
  lease_expires_at = now() + $4::bigint * interval '1 millisecond', started_at = now()
FROM next WHERE j.id = next.id
RETURNING j.id, j.kind, j.input, j.attempts, j.max_attempts, j.timeout_ms, j.priority, j.run_at, j.snoozes,
  -- Only watched jobs tell their watchers they started (see V6__job_progress.sql); the rest pay nothing.
  CASE WHEN j.watched THEN pg_notify('gather_job_events', j.id::text) END AS shown
