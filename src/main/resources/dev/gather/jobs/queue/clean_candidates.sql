-- Up to $2 jobs finished longer than $1 ms ago, each with the file it named (result.file) unless another job names
-- it too: users.export with a fixed "file" overwrites one file run after run, and the file belongs to the jobs
-- that are kept (jobs_files finds them). The caller deletes the files first and the rows after (clean.sql): a
-- crash in between leaves rows whose files are gone, which the next round deletes, never files no row names.
-- finished_at goes with the file: a job still running, which no result names yet, may have written the same name
-- since, and the caller keeps a file modified after the job that named it finished.
WITH old AS (
  SELECT id, result ->> 'file' AS file, finished_at FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled')
  AND finished_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2)
SELECT id, finished_at, CASE WHEN file IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM jobs o WHERE o.result ->> 'file' = old.file AND o.id NOT IN (SELECT id FROM old))
  THEN file END AS file
FROM old
