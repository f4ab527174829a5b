-- Renews a lease only for the run that holds it (owner $1 and attempt), never a later claim of the same job.
UPDATE jobs j SET lease_expires_at = now() + $4::bigint * interval '1 millisecond'
FROM (SELECT h.id FROM jobs h JOIN unnest($2::bigint[], $3::int[]) AS l(id, attempt)
    ON h.id = l.id AND h.attempts = l.attempt
    WHERE h.status = 'running' AND h.lease_owner = $1 ORDER BY h.id FOR UPDATE OF h) mine
WHERE j.id = mine.id
RETURNING j.id, j.attempts, j.cancel_requested
