-- Every schedule's row, by name: the definitions of API schedules and the last tick of all. $1 bounds the rows
-- (the API refuses to create more than that many).
SELECT name, source, definition, last_tick, created_at, updated_at
FROM job_schedules
ORDER BY name
LIMIT $1
