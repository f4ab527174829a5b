-- One job; $4 NULL runs it now. No NOTIFY here: at commit a NOTIFY takes a database-wide lock, which would
-- serialize every enqueue (JobStore's Waker sends one per group of inserts instead). No row comes back when the
-- idempotency key or the unique key ($8 the values it is unique by, $9 the period in seconds, $10 the states
-- that hold the key; all NULL for a plain job) was taken. ON CONFLICT without a target covers both unique
-- indexes; the caller looks up which one it met.
INSERT INTO jobs (kind, input, priority, run_at, max_attempts, timeout_ms, idempotency_key, unique_key, unique_states)
VALUES ($1, $2, $3, COALESCE($4, now()), $5, $6, $7, gather_unique_key($8::jsonb, $9::bigint), $10::text[])
ON CONFLICT DO NOTHING
RETURNING id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  progress, progress_message, snoozes,
  run_at <= now() AS due
