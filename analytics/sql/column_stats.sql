-- Planner statistics per column. Every column of every table in the schema is listed from the
-- catalog, so a column without statistics shows up as missing instead of disappearing. A
-- negative n_distinct is a fraction of the row count, turned into a count here.
WITH columns AS (
    SELECT n.nspname AS schema_name,
           c.relname AS table_name,
           a.attname AS column_name,
           a.attnum,
           s.attname IS NULL AS missing,
           s.n_distinct::float8 AS n_distinct,
           CASE WHEN s.n_distinct < 0 THEN -s.n_distinct * greatest(c.reltuples, 0)
                ELSE s.n_distinct END::float8 AS estimated_distinct,
           s.null_frac::float8 AS null_fraction,
           s.correlation::float8 AS correlation,
           c.reltuples::float8 AS row_estimate,
           greatest(t.last_analyze, t.last_autoanalyze) AS last_analyzed_at
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_stat_all_tables t ON t.relid = c.oid
    LEFT JOIN pg_stats s
           ON s.schemaname = n.nspname AND s.tablename = c.relname
          AND s.attname = a.attname AND NOT s.inherited
    WHERE c.relkind IN ('r', 'p', 'm')
      AND n.nspname = @schema::text
)
SELECT schema_name, table_name, column_name, missing, n_distinct, estimated_distinct,
       null_fraction, correlation, row_estimate, last_analyzed_at
FROM columns
WHERE @all::boolean
   OR missing
   OR (estimated_distinct >= @min_distinct::float8
       AND abs(coalesce(correlation, 0)) <= @max_correlation::float8)
ORDER BY missing DESC, estimated_distinct DESC NULLS LAST, table_name, attnum
