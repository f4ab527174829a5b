-- The state rows of this process's config schedules ($1 their names). A new one starts at now(): a schedule
-- never makes up ticks from before it existed. A config schedule takes the name over from an API schedule of the
-- same name (the config file wins; its old definition is dropped). Returns the names taken over (xmax is 0 on a
-- row this statement inserted, not on one it updated), which the caller logs.
WITH registered AS (
  INSERT INTO job_schedules (name, source)
  SELECT name, 'config' FROM unnest($1::text[]) AS name
  ON CONFLICT (name) DO UPDATE
    SET source = 'config', definition = NULL, last_tick = greatest(job_schedules.last_tick, now()), updated_at = now()
    WHERE job_schedules.source <> 'config'
  RETURNING name, xmax <> 0 AS taken_over
)
SELECT name FROM registered WHERE taken_over
