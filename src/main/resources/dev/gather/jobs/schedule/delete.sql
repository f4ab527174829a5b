-- DELETE /jobs/schedules/{name}: only API schedules; jobs it already enqueued stay (they are ordinary jobs).
DELETE FROM job_schedules WHERE name = $1 AND source = 'api'
RETURNING name
