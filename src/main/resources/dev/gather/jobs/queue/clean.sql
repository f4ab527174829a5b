-- Up to $2 jobs finished longer than $1 ms ago.
DELETE FROM jobs WHERE id IN (
  SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled')
  AND finished_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2)
