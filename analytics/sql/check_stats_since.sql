-- When the statistics of the current database started collecting: stats_reset, or the server
-- start when they were never reset. PostgreSQL 15 and later keep statistics across a clean
-- restart, so the server start can be later than the true start, which errs towards waiting.
SELECT coalesce(stats_reset, pg_postmaster_start_time())
FROM pg_stat_database
WHERE datname = current_database()
