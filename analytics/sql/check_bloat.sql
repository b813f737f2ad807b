-- Estimated wasted space per table and B-tree index, from the row count and the average
-- column widths in pg_stats. A heap row is estimated as a 24-byte header, its columns and a
-- 4-byte line pointer, packed into pages of block_size minus a 24-byte header at the table's
-- fillfactor. A B-tree entry is estimated as an 8-byte header, its key columns rounded up to
-- 8 bytes and a 4-byte line pointer, in pages with 40 bytes of overhead at 90 percent fill.
-- Alignment padding is ignored, so the estimate errs towards more bloat. Relations without
-- statistics, and expression indexes, are skipped.
WITH settings AS (
    SELECT current_setting('block_size')::numeric AS block_size
), tables AS (
    SELECT c.oid, n.nspname, c.relname, c.relpages, c.reltuples,
           coalesce((SELECT substring(o FROM 'fillfactor=(\d+)')::numeric
                     FROM unnest(c.reloptions) AS o WHERE o LIKE 'fillfactor=%'), 100) AS fillfactor,
           (SELECT sum(s.avg_width) FROM pg_stats s
            WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited) AS row_width
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm')
      AND n.nspname = @schema::text
      AND c.reltuples > 0
), indexes AS (
    SELECT c.oid, n.nspname, c.relname, c.relpages, c.reltuples,
           (SELECT sum(s.avg_width)
            FROM unnest(string_to_array(i.indkey::text, ' ')::int2[]) AS k(attnum)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname
                           AND s.attname = a.attname AND NOT s.inherited) AS key_width
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_am am ON am.oid = c.relam
    WHERE n.nspname = @schema::text
      AND am.amname = 'btree'
      AND i.indexprs IS NULL
      AND c.reltuples > 0
), estimates AS (
    SELECT 'table' AS kind, format('%I.%I', nspname, relname) AS name, relpages,
           ceil(reltuples * (24 + row_width + 4) / ((block_size - 24) * fillfactor / 100)) AS expected_pages
    FROM tables, settings
    WHERE row_width IS NOT NULL
    UNION ALL
    SELECT 'index', format('%I.%I', nspname, relname), relpages,
           ceil(reltuples * (8 + ceil(key_width / 8) * 8 + 4) / ((block_size - 40) * 0.9)) + 1
    FROM indexes, settings
    WHERE key_width IS NOT NULL
)
SELECT kind,
       name,
       (relpages * block_size)::bigint AS bytes,
       (greatest(relpages - expected_pages, 0) * block_size)::bigint AS wasted_bytes,
       (greatest(relpages - expected_pages, 0) / greatest(relpages, 1))::float8 AS wasted_ratio
FROM estimates, settings
ORDER BY wasted_bytes DESC, name
