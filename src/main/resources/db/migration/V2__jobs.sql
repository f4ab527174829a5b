-- The durable job queue. A job is claimed by flipping it to 'running' under FOR UPDATE SKIP LOCKED, so any
-- number of gather processes can share the table; the lease says how long the claim holds without a heartbeat.
CREATE TABLE jobs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind             text        NOT NULL,
  input            jsonb       NOT NULL,
  status           text        NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  priority         smallint    NOT NULL DEFAULT 0,
  run_at           timestamptz NOT NULL DEFAULT now(),
  attempts         integer     NOT NULL DEFAULT 0,
  max_attempts     integer     NOT NULL CHECK (max_attempts > 0),
  timeout_ms       integer     NOT NULL CHECK (timeout_ms > 0),
  idempotency_key  text        UNIQUE,
  lease_owner      text,
  lease_expires_at timestamptz,
  cancel_requested boolean     NOT NULL DEFAULT false,
  rescues          integer     NOT NULL DEFAULT 0,
  result           jsonb,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz
);

-- What the fetchers scan: runnable jobs in the order they are taken (highest priority, then oldest due).
CREATE INDEX jobs_runnable ON jobs (priority DESC, run_at, id) WHERE status = 'queued';
-- What the rescuer scans: claims whose lease ran out.
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'running';
-- What the retention cleaner scans.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('succeeded', 'failed', 'cancelled');
-- GET /jobs?status=&kind= pages newest first.
CREATE INDEX jobs_by_status ON jobs (status, id);
CREATE INDEX jobs_by_kind ON jobs (kind, id);
