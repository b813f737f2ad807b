-- Indexes left invalid by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY. The
-- planner ignores them but every write still maintains them. Indexes being built right now
-- are invalid until the build ends, so they are skipped.
SELECT format('%I.%I', n.nspname, c.relname) AS index_name,
       format('%I.%I', n.nspname, t.relname) AS table_name,
       pg_relation_size(c.oid) AS bytes
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = @schema::text
  AND NOT i.indisvalid
  AND NOT EXISTS (SELECT FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
ORDER BY 1
