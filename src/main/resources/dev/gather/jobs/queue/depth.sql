-- Only the queue itself (both covered by partial indexes): finished jobs can be a day's worth of rows.
SELECT status, kind, count(*) AS jobs FROM jobs WHERE status IN ('queued', 'running')
GROUP BY status, kind
