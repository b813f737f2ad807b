-- Client sessions of the current database running one statement, or holding a transaction
-- open while idle, for at least the threshold. This session is skipped.
SELECT pid,
       state,
       extract(epoch FROM now() - CASE WHEN state LIKE 'idle in transaction%' THEN state_change
                                       ELSE query_start END)::float8 AS seconds,
       left(query, 200) AS query
FROM pg_stat_activity
WHERE datname = current_database()
  AND backend_type = 'client backend'
  AND pid <> pg_backend_pid()
  AND state <> 'idle'
  AND now() - CASE WHEN state LIKE 'idle in transaction%' THEN state_change
                   ELSE query_start END >= make_interval(secs => @min_seconds::float8)
ORDER BY seconds DESC
