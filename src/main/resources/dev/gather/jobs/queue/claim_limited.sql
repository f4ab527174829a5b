-- Up to $7 due jobs of the limited kinds $1, leased to $8 for $9 ms, never past a kind's limits. Runs inside a
-- transaction right after claim_limited_lock.sql, so no other claim of these kinds counts or claims meanwhile.
-- Per kind (arrays in the order of $1): $2 concurrency limit, $3 its partition field, $4 rate limit, $5 its
-- period in ms, $6 its partition field (NULL: no such limit, or one partition for the whole kind). $10 bounds how
-- many candidates are looked at once.
WITH lim AS (
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::bigint[], $6::text[])
    AS l(kind, c_limit, c_by, r_limit, r_period_ms, r_by)
  WHERE l.kind <> ALL (ARRAY(SELECT kind FROM job_kinds WHERE paused))),
-- Jobs claimed and not finished, per partition: those running and those a process claimed ahead. At most the
-- workers and prefetch of every process, however long the queue.
running AS (
  SELECT l.kind, COALESCE(j.input -> l.c_by, 'null'::jsonb) AS part, count(*) AS n
  FROM lim l JOIN jobs j ON j.kind = l.kind AND j.status = 'running'
  WHERE l.c_limit IS NOT NULL GROUP BY 1, 2),
full_c AS (SELECT r.kind, r.part FROM running r JOIN lim l ON l.kind = r.kind WHERE r.n >= l.c_limit),
-- Starts inside the sliding window, per partition, and when the oldest of them leaves it.
started AS (
  SELECT l.kind, s.part, count(*) AS n, min(s.started_at) + l.r_period_ms * interval '1 millisecond' AS frees_at
  FROM lim l JOIN job_kind_starts s ON s.kind = l.kind
    AND s.started_at > now() - l.r_period_ms * interval '1 millisecond'
  WHERE l.r_limit IS NOT NULL GROUP BY l.kind, s.part, l.r_period_ms),
full_r AS (SELECT st.kind, st.part, st.frees_at FROM started st JOIN lim l ON l.kind = st.kind WHERE st.n >= l.r_limit),
-- Kinds with room somewhere: not full as a whole (a limit without a partition field that is reached). Only these
-- are probed below, so a full kind's backlog is never read.
open_kinds AS (
  SELECT l.* FROM lim l
  WHERE NOT (l.c_by IS NULL AND EXISTS (SELECT 1 FROM full_c f WHERE f.kind = l.kind))
    AND NOT (l.r_by IS NULL AND EXISTS (SELECT 1 FROM full_r f WHERE f.kind = l.kind))),
-- Due jobs in claim order, skipping partitions with no room left, so a full partition's backlog never hides the
-- jobs of the others. Each open kind is probed on its own, in claim order on jobs_runnable_by_kind (see
-- V8__claims_by_kind.sql) and up to $10, so no kind's backlog is read to find another's jobs; the first $10 overall
-- are among the union of each kind's first $10. Within a kind the probe still reads past the backlog of its full
-- partitions (the index does not know partitions), as it always did.
candidates AS (
  SELECT c.* FROM open_kinds l
  CROSS JOIN LATERAL (
    SELECT j.id, j.kind, j.priority, j.run_at, l.c_limit, l.r_limit, p.c_part, p.r_part
    FROM jobs j
    CROSS JOIN LATERAL (
      SELECT COALESCE(j.input -> l.c_by, 'null'::jsonb) AS c_part, COALESCE(j.input -> l.r_by, 'null'::jsonb) AS r_part) p
    WHERE j.status = 'queued' AND j.kind = l.kind AND j.run_at <= now()
      AND NOT EXISTS (SELECT 1 FROM full_c f WHERE f.kind = j.kind AND f.part = p.c_part)
      AND NOT EXISTS (SELECT 1 FROM full_r f WHERE f.kind = j.kind AND f.part = p.r_part)
    ORDER BY j.priority DESC, j.run_at, j.id LIMIT $10) c
  ORDER BY c.priority DESC, c.run_at, c.id LIMIT $10),
-- The n-th candidate of a partition fits when n is within what the partition has left. Ranking the two limits
-- separately can only take fewer jobs than would fit (never more), and exactly as many when both use one field.
ranked AS (
  SELECT c.*,
    row_number() OVER (PARTITION BY c.kind, c.c_part ORDER BY c.priority DESC, c.run_at, c.id) AS c_rank,
    row_number() OVER (PARTITION BY c.kind, c.r_part ORDER BY c.priority DESC, c.run_at, c.id) AS r_rank
  FROM candidates c),
chosen AS (
  SELECT r.id FROM ranked r
  LEFT JOIN running ru ON ru.kind = r.kind AND ru.part = r.c_part
  LEFT JOIN started st ON st.kind = r.kind AND st.part = r.r_part
  WHERE (r.c_limit IS NULL OR r.c_rank <= r.c_limit - COALESCE(ru.n, 0))
    AND (r.r_limit IS NULL OR r.r_rank <= r.r_limit - COALESCE(st.n, 0))
  ORDER BY r.priority DESC, r.run_at, r.id LIMIT $7),
-- status = 'queued' again: a job cancelled since the scan is left alone (the UPDATE rechecks a changed row).
-- id = ANY(ARRAY(...)): primary-key probes whatever the statistics say (a join may walk every queued row).
claimed AS (
  UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_owner = $8,
    lease_expires_at = now() + $9::bigint * interval '1 millisecond', started_at = now()
  WHERE j.id = ANY (ARRAY(SELECT id FROM chosen)) AND j.status = 'queued'
  RETURNING j.id, j.kind, j.input, j.attempts, j.max_attempts, j.timeout_ms, j.priority, j.run_at, j.snoozes,
    -- Only watched jobs tell their watchers they started (see V6__job_progress.sql), as in claim.sql.
    CASE WHEN j.watched THEN pg_notify('gather_job_events', j.id::text) END AS shown),
logged AS (
  INSERT INTO job_kind_starts (kind, part, started_at)
  SELECT c.kind, COALESCE(c.input -> l.r_by, 'null'::jsonb), now()
  FROM claimed c JOIN lim l ON l.kind = c.kind WHERE l.r_limit IS NOT NULL),
expired AS (
  DELETE FROM job_kind_starts s USING lim l
  WHERE s.kind = l.kind AND l.r_limit IS NOT NULL AND s.started_at <= now() - l.r_period_ms * interval '1 millisecond')
SELECT id, kind, input, attempts, max_attempts, timeout_ms, priority, run_at, snoozes, NULL::bigint AS recheck_ms
FROM claimed
-- One more row, without a job, when a partition is full by its rate: in how many ms its oldest start leaves the
-- window, so that the claimer looks again then rather than at the next poll.
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  greatest(1, ceil(extract(epoch FROM min(f.frees_at) - now()) * 1000))::bigint
FROM full_r f HAVING count(*) > 0
