-- One job; $4 NULL runs it now. No NOTIFY here: at commit a NOTIFY takes a database-wide lock, which would
-- serialize every enqueue (JobStore's Waker sends one per group of inserts instead). No row comes back when the
-- idempotency key was taken.
INSERT INTO jobs (kind, input, priority, run_at, max_attempts, timeout_ms, idempotency_key)
VALUES ($1, $2, $3, COALESCE($4, now()), $5, $6, $7)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms,
  idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at,
  run_at <= now() AS due
