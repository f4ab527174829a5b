-- Unique jobs (POST /jobs with "unique"). A job that asks for uniqueness stores a key (a hash of the values it is
-- unique by, and of the period bucket when it has a period) and the states in which it holds that key. The partial
-- unique index makes PostgreSQL the judge: of any number of concurrent inserts with one key, in any number of
-- processes, one row goes in and the others meet ON CONFLICT DO NOTHING. Each row's own unique_states decide
-- whether it is in the index, so a job that leaves its states (e.g. succeeds) frees the key for a new job.
-- Jobs without "unique" have NULL here and never enter the index, so plain enqueues pay nothing for it.
ALTER TABLE jobs
  ADD COLUMN unique_key    bytea,
  ADD COLUMN unique_states text[]
    CHECK (unique_states <@ ARRAY['queued', 'running', 'succeeded', 'failed', 'cancelled']
      AND unique_states @> ARRAY['queued', 'running']);

CREATE UNIQUE INDEX jobs_unique ON jobs (unique_key)
  WHERE unique_key IS NOT NULL AND status = ANY (unique_states);

-- The key of a job unique by these values ({"kind": ..., "input.userId": ...}): jsonb's text form is canonical
-- (keys sorted, spacing fixed), so the same values hash alike whatever order a client sent them in. With a period
-- (in seconds) the bucket is counted from the epoch by the DATABASE's clock, so replicas whose clocks differ still
-- agree on the window. STABLE, not IMMUTABLE: now() changes between transactions.
CREATE FUNCTION gather_unique_key(by_values jsonb, period_s bigint) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN by_values IS NULL THEN NULL ELSE
    sha256(convert_to(jsonb_build_array(by_values, period_s,
      floor(extract(epoch FROM now()) / period_s)::bigint)::text, 'UTF8')) END
$$;
