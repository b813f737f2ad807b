-- Indexes never scanned since the statistics were last reset. Primary keys, unique indexes
-- and indexes behind constraints are skipped, because they enforce rules even when no query
-- reads them.
SELECT format('%I.%I', n.nspname, c.relname) AS index_name,
       format('%I.%I', n.nspname, t.relname) AS table_name,
       pg_relation_size(c.oid) AS bytes
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
WHERE n.nspname = @schema::text
  AND i.indisvalid
  AND NOT i.indisprimary
  AND NOT i.indisunique
  AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
  AND coalesce(s.idx_scan, 0) = 0
ORDER BY bytes DESC, 1
