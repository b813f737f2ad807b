-- Sizes per table. Relations are passed to the size functions by oid, so mixed-case and
-- quoted names need no quoting.
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       c.reltuples::float8 AS row_estimate,
       pg_table_size(c.oid) AS table_bytes,
       pg_table_size(c.oid) - pg_relation_size(c.oid) AS toast_bytes,
       pg_indexes_size(c.oid) AS index_bytes,
       pg_total_relation_size(c.oid) AS total_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname = @schema::text
ORDER BY total_bytes DESC, table_name
