-- Wakes idle workers in every process (see JobNotifications).
SELECT pg_notify('gather_jobs', '')
