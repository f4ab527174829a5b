-- Applies many outcomes at once. The lease owner ($8) and attempt fence it: a worker whose job was rescued and
-- claimed again elsewhere cannot overwrite the newer run. A job someone asked to cancel never goes back to the
-- queue (neither as a retry nor when handed back at shutdown): it ends cancelled. A snooze ($9) goes back to the
-- queue like a retry but, like a release, gives its attempt back; it is counted in snoozes instead. Progress the run
-- reported after its last heartbeat ($10 percent, $11 message; NULL: none) is written here, on the way.
WITH o AS (
  SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bool[],
    $9::bool[], $10::int[], $11::text[])
  AS o(id, attempt, status, result, error, delay_ms, released, snoozed, percent, message)),
-- Rows locked in id order, as the heartbeat does: two multi-row updates in different orders deadlock.
locked AS (SELECT j.id FROM jobs j JOIN o ON j.id = o.id ORDER BY j.id FOR UPDATE OF j),
done AS (
  UPDATE jobs j SET
    status = CASE WHEN o.status = 'queued' AND j.cancel_requested THEN 'cancelled' ELSE o.status END,
    result = o.result::jsonb,
    last_error = COALESCE(o.error, j.last_error),
    attempts = CASE WHEN o.released OR o.snoozed THEN j.attempts - 1 ELSE j.attempts END,
    snoozes = CASE WHEN o.snoozed THEN j.snoozes + 1 ELSE j.snoozes END,
    progress = COALESCE(o.percent, j.progress),
    progress_message = CASE WHEN o.percent IS NULL THEN j.progress_message ELSE o.message END,
    run_at = CASE WHEN o.status = 'queued' THEN now() + o.delay_ms * interval '1 millisecond' ELSE j.run_at END,
    started_at = CASE WHEN o.released THEN NULL ELSE j.started_at END,
    finished_at = CASE WHEN o.status = 'queued' AND NOT j.cancel_requested THEN NULL ELSE now() END,
    -- The owner stays on a finished job, so GET /jobs/{id} tells which process ran it.
    lease_owner = CASE WHEN o.released THEN NULL ELSE j.lease_owner END, lease_expires_at = NULL
  FROM o JOIN locked ON locked.id = o.id
  WHERE j.id = o.id AND j.attempts = o.attempt AND j.lease_owner = $8 AND j.status = 'running'
  RETURNING j.id, j.kind, j.status, j.run_at, j.watched)
SELECT id, CASE WHEN status = 'queued' AND run_at <= now() THEN pg_notify('gather_jobs', kind) END AS woke,
  -- Only watched jobs tell their watchers (see V6__job_progress.sql); the rest pay nothing.
  CASE WHEN watched THEN pg_notify('gather_job_events', id::text) END AS shown
FROM done
