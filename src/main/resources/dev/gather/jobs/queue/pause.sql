-- Pauses kind $1 for every gather on the database: claims leave it out from their next statement on. Pausing a
-- paused kind keeps the time it was first paused.
INSERT INTO job_kinds (kind, paused, paused_at, updated_at) VALUES ($1, true, now(), now())
ON CONFLICT (kind) DO UPDATE SET paused = true, updated_at = now(),
  paused_at = CASE WHEN job_kinds.paused THEN job_kinds.paused_at ELSE now() END
