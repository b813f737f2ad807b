-- Size and scan count per index; idx_scan counts since the statistics were last reset.
SELECT n.nspname AS schema_name,
       t.relname AS table_name,
       c.relname AS index_name,
       pg_relation_size(c.oid) AS bytes,
       coalesce(s.idx_scan, 0) AS scans,
       i.indisprimary AS is_primary,
       i.indisunique AS is_unique,
       i.indisvalid AS is_valid,
       pg_get_indexdef(c.oid) AS definition
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
WHERE n.nspname = @schema::text
ORDER BY bytes DESC, index_name
