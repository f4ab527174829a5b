-- One kind of GET /jobs/kinds ($1), on the jobs_by_kind index.
SELECT kind, status, count(*) AS jobs, NULL::timestamptz AS paused_at FROM jobs WHERE kind = $1 GROUP BY kind, status
UNION ALL
SELECT kind, NULL, 0, paused_at FROM job_kinds WHERE paused AND kind = $1
