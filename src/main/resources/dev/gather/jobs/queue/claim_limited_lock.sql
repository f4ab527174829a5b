-- Serializes the limited claims of these kinds ($1, sorted, so two claimers never wait on each other in a cycle)
-- across every gather, until the claim's transaction ends. It must be a statement of its own, BEFORE the claim: in
-- READ COMMITTED each statement sees what was committed when it began, so a claim that first waited here then sees
-- the jobs the previous holder claimed, and counts them. (A lock taken inside the claim statement would leave it
-- counting from a snapshot older than the wait.)
SELECT count(pg_advisory_xact_lock(hashtextextended('gather_job_kind:' || kind, 0)))
FROM (SELECT kind FROM unnest($1::text[]) AS kind ORDER BY kind) sorted
