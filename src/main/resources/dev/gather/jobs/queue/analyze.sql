-- Fresh statistics keep the claim on its index even where autovacuum is off; ANALYZE samples, so it is cheap.
ANALYZE jobs
