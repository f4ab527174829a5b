-- GET /jobs/kinds: jobs per kind and status, then the paused kinds (status NULL). The counts read the whole table
-- (finished jobs are kept jobs.retentionMs), which is fine for an operator's page, not for a hot path.
SELECT kind, status, count(*) AS jobs, NULL::timestamptz AS paused_at FROM jobs GROUP BY kind, status
UNION ALL
SELECT kind, NULL, 0, paused_at FROM job_kinds WHERE paused
