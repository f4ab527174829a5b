SELECT name, source, definition, last_tick, created_at, updated_at
FROM job_schedules
WHERE name = $1
