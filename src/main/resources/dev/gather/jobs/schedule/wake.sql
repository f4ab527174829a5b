-- Wakes idle workers in every process after a schedule enqueued jobs (the payload is the kind), as the API's
-- enqueues do; ticks are rare enough that one NOTIFY each costs nothing.
SELECT pg_notify('gather_jobs', $1)
