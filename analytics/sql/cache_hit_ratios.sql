-- Block reads per table of the schema, split into heap and index reads, since the statistics
-- were last reset. A hit was served from shared buffers; a read came from the operating system.
SELECT schemaname AS schema_name,
       relname AS table_name,
       coalesce(heap_blks_hit, 0) AS heap_hit,
       coalesce(heap_blks_read, 0) AS heap_read,
       coalesce(idx_blks_hit, 0) AS index_hit,
       coalesce(idx_blks_read, 0) AS index_read
FROM pg_statio_all_tables
WHERE schemaname = @schema::text
ORDER BY coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0) DESC, relname
