-- The jobs clean_candidates.sql chose ($1), once their files are deleted. Finished jobs never change again, so
-- the status check only guards against a caller passing other ids.
DELETE FROM jobs WHERE id = ANY($1::bigint[]) AND status IN ('succeeded', 'failed', 'cancelled')
