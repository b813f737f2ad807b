-- Dead rows and rows changed since the last analyze, against the counts at which autovacuum
-- starts: threshold + scale_factor x reltuples, from the server settings (per-table storage
-- parameters are not read).
SELECT format('%I.%I', s.schemaname, s.relname) AS table_name,
       s.n_dead_tup,
       s.n_mod_since_analyze,
       current_setting('autovacuum_vacuum_threshold')::float8
           + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0)
           AS vacuum_trigger,
       current_setting('autovacuum_analyze_threshold')::float8
           + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
           AS analyze_trigger,
       greatest(s.last_vacuum, s.last_autovacuum) AS last_vacuum,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze
FROM pg_stat_all_tables s
JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = @schema::text
ORDER BY 1
