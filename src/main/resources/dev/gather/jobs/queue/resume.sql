-- Resumes kind $1: a kind without a row is not paused, so the table never holds more than the paused kinds. The
-- NOTIFY (sent at commit) wakes idle workers in every process, so the kind's queue starts at once.
WITH resumed AS (DELETE FROM job_kinds WHERE kind = $1 RETURNING kind)
SELECT pg_notify('gather_jobs', $1) AS woke
