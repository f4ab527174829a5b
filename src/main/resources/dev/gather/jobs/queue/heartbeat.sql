-- Renews a lease only for the run that holds it (owner $1 and attempt), never a later claim of the same job. It also
-- carries the progress the runs reported since the last beat ($5 percent, $6 message; NULL: none new), so progress
-- costs no write of its own: the row is written here anyway. Watched jobs whose progress moved tell their watchers.
UPDATE jobs j SET lease_expires_at = now() + $4::bigint * interval '1 millisecond',
  progress = COALESCE(mine.percent, j.progress),
  progress_message = CASE WHEN mine.percent IS NULL THEN j.progress_message ELSE mine.message END
FROM (SELECT h.id, l.percent, l.message FROM jobs h
    JOIN unnest($2::bigint[], $3::int[], $5::int[], $6::text[]) AS l(id, attempt, percent, message)
    ON h.id = l.id AND h.attempts = l.attempt
    WHERE h.status = 'running' AND h.lease_owner = $1 ORDER BY h.id FOR UPDATE OF h) mine
WHERE j.id = mine.id
RETURNING j.id, j.attempts, j.cancel_requested,
  CASE WHEN j.watched AND mine.percent IS NOT NULL THEN pg_notify('gather_job_events', j.id::text) END AS shown
