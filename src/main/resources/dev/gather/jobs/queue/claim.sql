-- Up to $2 due jobs of the kinds $1, leased to $3 for $4 ms. SKIP LOCKED: concurrent claims take different jobs.
-- Paused kinds (job_kinds, see V5__job_kinds.sql) are left out: the ARRAY(...) runs once per claim over a table
-- that holds only kinds someone paused, so an install that never pauses pays one scan of an empty table.
-- Kinds with concurrency or rate limits are not claimed here but by claim_limited.sql.
-- DISTINCT: a kind named twice would be probed twice, spending the LIMIT's slots on the same rows.
WITH kinds AS (
  SELECT DISTINCT k.kind FROM unnest($1::text[]) AS k(kind)
  WHERE k.kind <> ALL (ARRAY(SELECT kind FROM job_kinds WHERE paused))),
-- Each kind is probed on its own, in claim order on jobs_runnable_by_kind (see V8__claims_by_kind.sql), so a claim
-- reads only its own kinds' first rows, never the backlog of a paused kind or of kinds other processes run. The
-- first $2 overall are among the union of each kind's first $2, so this takes the jobs one walk in claim order
-- would. A probe locks what it returns, so the rows that do not make the cut stay locked until this statement
-- commits (see left_behind).
probed AS (
  SELECT n.id, n.kind, n.priority, n.run_at FROM kinds k
  CROSS JOIN LATERAL (
    SELECT j.id, j.kind, j.priority, j.run_at FROM jobs j
    WHERE j.status = 'queued' AND j.kind = k.kind AND j.run_at <= now()
    ORDER BY j.priority DESC, j.run_at, j.id LIMIT $2 FOR UPDATE SKIP LOCKED) n),
next AS (SELECT id FROM probed ORDER BY priority DESC, run_at, id LIMIT $2),
-- Rows locked and left: a concurrent claim (another process) skipped them and may have come back short, taking
-- that for an empty queue and waiting for the next poll. A wake-up per kind left behind, delivered when this
-- commits and the rows are free, sends it back for them. Only when kinds compete for one claim's slots: a claim
-- of a single kind (or of fewer due jobs than it wants) leaves nothing and sends nothing.
left_behind AS (
  SELECT pg_notify('gather_jobs', l.kind) FROM (
    SELECT DISTINCT p.kind FROM probed p WHERE p.id <> ALL (ARRAY(SELECT id FROM next))) l)
-- id = ANY(ARRAY(...)): primary-key probes whatever the plan guesses of next's size (a cached generic plan, which
-- cannot know $2, would rather hash-join a scan of the whole table). The count of left_behind is a one-time filter
-- that is always true: a CTE that only SELECTs runs only where it is read.
UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_owner = $3,
  lease_expires_at = now() + $4::bigint * interval '1 millisecond', started_at = now()
WHERE j.id = ANY (ARRAY(SELECT id FROM next)) AND (SELECT count(*) FROM left_behind) >= 0
RETURNING j.id, j.kind, j.input, j.attempts, j.max_attempts, j.timeout_ms, j.priority, j.run_at, j.snoozes,
  -- Only watched jobs tell their watchers they started (see V6__job_progress.sql); the rest pay nothing.
  CASE WHEN j.watched THEN pg_notify('gather_job_events', j.id::text) END AS shown
