-- Snooze, progress and live events (issue 17, items 5 and 6).
-- progress/progress_message: what the handler last reported (JobContext.progress); written by the heartbeat that
--   renews the lease anyway, so reporting progress adds no write of its own.
-- snoozes: how often the job asked to run later (JobContext.snooze) without spending an attempt; bounded by
--   jobs.maxSnoozes, past which a snooze spends an attempt like a failure.
-- watched: someone follows the job (GET /jobs/{id}/events, POST /jobs with Prefer: wait). Only watched jobs NOTIFY
--   gather_job_events on a change, so the queue's hot path (claim, heartbeat, finish of unwatched jobs) pays no NOTIFY.
--   It stays set once set: a watcher gone costs at most a few NOTIFYs for the rest of that job's life.
ALTER TABLE jobs
  ADD COLUMN progress         smallint CHECK (progress BETWEEN 0 AND 100),
  ADD COLUMN progress_message text,
  ADD COLUMN snoozes          integer NOT NULL DEFAULT 0,
  ADD COLUMN watched          boolean NOT NULL DEFAULT false;
