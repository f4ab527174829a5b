-- POST /jobs/schedules: a new API schedule $1 with definition $2, unless the name is taken (no row back) or there
-- are already $3 API schedules (no row back either; the caller tells which). The count is not locked, so two
-- concurrent creates may pass it together: the bound holds within the concurrency of creates, which is its point.
INSERT INTO job_schedules (name, source, definition)
SELECT $1, 'api', $2
WHERE (SELECT count(*) FROM job_schedules WHERE source = 'api') < $3
ON CONFLICT (name) DO NOTHING
RETURNING name, source, definition, last_tick, created_at, updated_at
