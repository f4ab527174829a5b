-- Enqueues the job of schedule $1 for each of the ticks $2 (ascending) that is newer than the schedule's last_tick,
-- and moves last_tick to the newest of them, in one statement. Every replica may run this for the same tick at the
-- same moment: FOR UPDATE makes them take turns on the schedule's row, and the one that comes second re-reads
-- last_tick (READ COMMITTED re-checks a locked row) and finds nothing due. The unique index jobs_schedule_tick
-- would refuse a second job for a tick even so (ON CONFLICT DO NOTHING). run_at is the tick, so made-up ticks
-- run oldest first. $3 kind, $4 input, $5 priority, $6 max_attempts, $7 timeout_ms. Returns the jobs made, and
-- wakes idle workers in every process at commit (gather_jobs, the kind as payload) as the API's enqueues do:
-- PostgreSQL sends identical notifications of one transaction once, and none when no job was made.
WITH schedule AS (
  SELECT last_tick FROM job_schedules WHERE name = $1 FOR UPDATE
), due AS (
  SELECT tick FROM schedule, unnest($2::timestamptz[]) AS tick WHERE tick > schedule.last_tick
), advanced AS (
  UPDATE job_schedules SET last_tick = (SELECT max(tick) FROM due)
  WHERE name = $1 AND EXISTS (SELECT FROM due)
)
INSERT INTO jobs (kind, input, priority, run_at, max_attempts, timeout_ms, schedule, schedule_tick)
SELECT $3, $4, $5, tick, $6, $7, $1, tick FROM due
ON CONFLICT DO NOTHING
RETURNING id, schedule_tick, pg_notify('gather_jobs', kind) AS woke
