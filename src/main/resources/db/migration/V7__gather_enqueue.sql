-- Transactional enqueue: an application that shares gather's database queues a job inside its own transaction,
--   BEGIN; INSERT INTO orders ...; SELECT gather_enqueue('users.export', '{"file": "orders.csv"}'); COMMIT;
-- so that the job exists if and only if that transaction commits (no job for a rolled-back order, no order without
-- its job). It wakes the workers as POST /jobs does, through NOTIFY on gather_jobs; PostgreSQL delivers a NOTIFY
-- only when its transaction commits, so a rolled-back enqueue wakes no one either. Identical notifications in one
-- transaction are folded into one, so a transaction that queues a thousand jobs of one kind sends one.
--
-- The database does not know which kinds the gathers run nor what their input must look like (POST /jobs checks
-- both against the handlers): a job of a kind no gather runs stays queued, and input a handler refuses fails its
-- run. The defaults of max_attempts and timeout_ms are those of jobs.maxAttempts and jobs.timeoutMs when not
-- configured (3 and 300000); the database cannot read a process's config, so pass them to use other values.
-- Arguments as POST /jobs names them (unique_by paths like "kind", "input", "input.userId"); returns the job's id,
-- or, when the idempotency key or the unique key is taken, the id of the job that holds it (as POST /jobs answers).
CREATE FUNCTION gather_enqueue(
  kind            text,
  input           jsonb       DEFAULT '{}',
  priority        integer     DEFAULT 0,
  run_at          timestamptz DEFAULT NULL,
  max_attempts    integer     DEFAULT 3,
  timeout_ms      integer     DEFAULT 300000,
  idempotency_key text        DEFAULT NULL,
  unique_by       text[]      DEFAULT NULL,
  unique_period   interval    DEFAULT NULL,
  unique_states   text[]      DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_variable
DECLARE
  by_values jsonb;
  period_s  bigint;
  states    text[];
  path      text;
  job_id    bigint;
  holder    record;
BEGIN
  -- The checks POST /jobs makes that need no handler, with its limits, so that both doors queue the same jobs.
  -- The shape of a kind name (as jobs.kinds takes it): the database cannot know which kinds the gathers run, but a
  -- name no handler could have is refused rather than queued forever.
  IF kind IS NULL OR kind !~ '^[A-Za-z0-9._-]{1,100}$' THEN
    RAISE EXCEPTION 'gather_enqueue: kind must be the name of a job kind (1 to 100 letters, digits, ''.'', ''-'' or ''_''), got %',
      coalesce(quote_literal(kind), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF input IS NULL OR jsonb_typeof(input) <> 'object' THEN
    RAISE EXCEPTION 'gather_enqueue: input must be a JSON object (the job''s parameters), got %',
      coalesce(input::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF priority IS NULL OR priority NOT BETWEEN -1000 AND 1000 THEN
    RAISE EXCEPTION 'gather_enqueue: priority must be from -1000 to 1000, got %', coalesce(priority::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF max_attempts IS NULL OR max_attempts NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'gather_enqueue: max_attempts must be from 1 to 100, got %', coalesce(max_attempts::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF timeout_ms IS NULL OR timeout_ms < 1 THEN
    RAISE EXCEPTION 'gather_enqueue: timeout_ms must be at least 1, got %', coalesce(timeout_ms::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF idempotency_key IS NOT NULL AND idempotency_key !~ '^[\x21-\x7e]{1,255}$' THEN
    RAISE EXCEPTION 'gather_enqueue: idempotency_key must be 1-255 visible ASCII characters (no spaces)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- Unique jobs: the same values, hashed by the same gather_unique_key, as POST /jobs's "unique", so a job queued
  -- here and one posted to the API are one job when they are unique by the same things.
  IF unique_by IS NOT NULL OR unique_period IS NOT NULL OR unique_states IS NOT NULL THEN
    by_values := '{}';
    FOREACH path IN ARRAY coalesce(unique_by, ARRAY['kind', 'input']) LOOP
      IF path = 'kind' THEN
        by_values := by_values || jsonb_build_object(path, kind);
      ELSIF path = 'input' THEN
        by_values := by_values || jsonb_build_object(path, input);
      ELSIF path ~ '^input\.[^.]+$' AND (input -> substr(path, 7)) IS NOT NULL THEN
        by_values := by_values || jsonb_build_object(path, input -> substr(path, 7));
      ELSE
        RAISE EXCEPTION 'gather_enqueue: unique_by % must be "kind", "input" or "input.<field>" naming a field of input',
          coalesce(quote_literal(path), 'NULL') USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END LOOP;
    IF unique_period IS NOT NULL THEN
      period_s := extract(epoch FROM unique_period)::bigint;
      IF period_s < 1 OR period_s > 366 * 24 * 3600 THEN
        RAISE EXCEPTION 'gather_enqueue: unique_period must be from 1 second to 366 days, got %', unique_period
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END IF;
    states := coalesce(unique_states, ARRAY['queued', 'running']);
    IF NOT states @> ARRAY['queued', 'running']
        OR NOT states <@ ARRAY['queued', 'running', 'succeeded', 'failed', 'cancelled'] THEN
      RAISE EXCEPTION 'gather_enqueue: unique_states must hold queued and running, and may add succeeded, failed, cancelled; got %',
        states USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;

  -- As JobStore does: a key whose holder is gone by the time it is looked up (it left its states, retention deleted
  -- it, the period turned) is free again, so the insert is tried again; each retry needs such a race.
  FOR attempt IN 1..4 LOOP
    INSERT INTO jobs AS j (kind, input, priority, run_at, max_attempts, timeout_ms, idempotency_key, unique_key,
        unique_states)
    VALUES (kind, input, priority, coalesce(run_at, now()), max_attempts, timeout_ms, idempotency_key,
        gather_unique_key(by_values, period_s), states)
    ON CONFLICT DO NOTHING
    RETURNING j.id INTO job_id;
    IF job_id IS NOT NULL THEN
      -- Due now: wake the workers at commit. A later run_at is found by the workers' poll (jobs.pollMs).
      IF run_at IS NULL OR run_at <= now() THEN
        PERFORM pg_notify('gather_jobs', kind);
      END IF;
      RETURN job_id;
    END IF;
    IF idempotency_key IS NOT NULL THEN
      SELECT j.id, j.kind = kind AND j.input = input AS same INTO holder FROM jobs j
        WHERE j.idempotency_key = idempotency_key;
      IF FOUND THEN
        IF NOT holder.same THEN
          RAISE EXCEPTION 'gather_enqueue: idempotency_key % was already used for job % with a different kind or input; use a new key for a different job',
            quote_literal(idempotency_key), holder.id USING ERRCODE = 'unique_violation';
        END IF;
        RETURN holder.id;
      END IF;
    END IF;
    IF by_values IS NOT NULL THEN
      SELECT j.id INTO job_id FROM jobs j
        WHERE j.unique_key = gather_unique_key(by_values, period_s) AND j.status = ANY (j.unique_states);
      IF job_id IS NOT NULL THEN
        RETURN job_id;
      END IF;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'gather_enqueue: job % met a taken key 4 times whose holder was gone each time; try again', kind
    USING ERRCODE = 'serialization_failure';
END
$$;

-- The retention cleaner deletes a finished job's file (result.file) with the job, unless a job it keeps names the
-- same file (users.export with a fixed "file" overwrites it run after run): this index answers that per file.
-- Partial, so rows without a file (most) cost it nothing.
CREATE INDEX jobs_files ON jobs ((result ->> 'file')) WHERE (result ->> 'file') IS NOT NULL;
