-- Periodic jobs (jobs.schedules in config, /jobs/schedules in the API). One row per schedule that any process
-- knows: API schedules keep their definition here (every process reads it), config schedules only their state
-- (their definition is each process's config file). last_tick is the newest tick a job was enqueued for (or the
-- moment the schedule appeared): it only moves forward, so a tick is considered once, and after downtime the
-- missed ticks are exactly those after it.
CREATE TABLE job_schedules (
  name       text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,100}$'),
  source     text        NOT NULL CHECK (source IN ('config', 'api')),
  definition jsonb       CHECK ((source = 'api') = (definition IS NOT NULL)),
  last_tick  timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The job a schedule enqueued for a tick. The partial unique index is what makes "one job per schedule and tick"
-- true across any number of replicas: a second insert for the same tick meets ON CONFLICT DO NOTHING. Plain jobs
-- store NULL and never enter the index.
ALTER TABLE jobs
  ADD COLUMN schedule      text,
  ADD COLUMN schedule_tick timestamptz,
  ADD CONSTRAINT jobs_schedule_has_tick CHECK ((schedule IS NULL) = (schedule_tick IS NULL));

CREATE UNIQUE INDEX jobs_schedule_tick ON jobs (schedule, schedule_tick) WHERE schedule IS NOT NULL;
