-- Claims probe each kind they may take on its own (claim.sql, claim_limited.sql), so the index of runnable jobs leads
-- with the kind. jobs_runnable had the claim order alone: a claim walked it from the top and read, index entry and
-- heap row, every queued job ahead of its own that it could not take (a paused kind's, a kind only other processes
-- run, a full limited kind's), on every claim; a paused kind with a million queued jobs made each claim of every
-- other kind read a million rows. By kind, a claim reads its own kinds' first rows and nothing of the others.
-- It replaces jobs_runnable rather than joining it, so that a job still costs one index write on this path.
-- Built in the migration's transaction, not CONCURRENTLY (Flyway runs each migration in one): the build scans the
-- whole table, finished jobs kept for jobs.retentionMs included, under a SHARE lock, so enqueues, claims and
-- outcomes of processes still running wait for it, and DROP INDEX then holds an exclusive lock for a moment. On a
-- large table, apply it at a quiet time. Processes of an earlier version, still running during a rolling upgrade,
-- claim without jobs_runnable until they are replaced: their plan reads their kinds' whole queue per claim.
CREATE INDEX jobs_runnable_by_kind ON jobs (kind, priority DESC, run_at, id) WHERE status = 'queued';
DROP INDEX jobs_runnable;
