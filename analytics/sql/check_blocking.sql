-- Sessions of the current database waiting for a lock that another session holds. The wait is
-- measured from the start of the waiting statement, which is an upper bound on the lock wait.
SELECT a.pid,
       pg_blocking_pids(a.pid) AS blocked_by,
       extract(epoch FROM now() - a.query_start)::float8 AS seconds,
       left(a.query, 200) AS query
FROM pg_stat_activity a
WHERE a.datname = current_database()
  AND a.wait_event_type = 'Lock'
  AND cardinality(pg_blocking_pids(a.pid)) > 0
  AND now() - a.query_start >= make_interval(secs => @min_seconds::float8)
ORDER BY seconds DESC
