-- PUT /jobs/schedules/{name}: creates API schedule $1 with definition $2 (when fewer than $3 exist), or replaces
-- the definition of the API schedule of that name. A replaced schedule does not make up ticks of its old
-- definition (last_tick moves to now). No row back when the name is a config schedule's, or the bound is reached.
INSERT INTO job_schedules (name, source, definition)
SELECT $1, 'api', $2
WHERE EXISTS (SELECT FROM job_schedules WHERE name = $1)
   OR (SELECT count(*) FROM job_schedules WHERE source = 'api') < $3
ON CONFLICT (name) DO UPDATE
  SET definition = EXCLUDED.definition, last_tick = greatest(job_schedules.last_tick, now()), updated_at = now()
  WHERE job_schedules.source = 'api'
RETURNING name, source, definition, last_tick, created_at, updated_at, (xmax = 0) AS created
