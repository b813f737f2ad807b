-- Block reads of the schema's tables and indexes served from shared buffers, since the
-- statistics were last reset.
SELECT coalesce(sum(heap_blks_hit), 0)::bigint AS heap_hit,
       coalesce(sum(heap_blks_read), 0)::bigint AS heap_read,
       coalesce(sum(idx_blks_hit), 0)::bigint AS index_hit,
       coalesce(sum(idx_blks_read), 0)::bigint AS index_read
FROM pg_statio_all_tables
WHERE schemaname = @schema::text
