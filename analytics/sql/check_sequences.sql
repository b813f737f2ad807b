-- How much of its range each ascending sequence has used. The limit is the smaller of the
-- sequence's maximum and the maximum of the integer column that owns it, because a bigint
-- sequence feeding an integer column fails at the column's limit. last_value is NULL for a
-- sequence never used.
WITH seqs AS (
    SELECT s.schemaname, s.sequencename, s.last_value, s.max_value,
           (SELECT CASE a.atttypid
                       WHEN 'int2'::regtype THEN 32767
                       WHEN 'int4'::regtype THEN 2147483647
                       WHEN 'int8'::regtype THEN 9223372036854775807
                   END
            FROM pg_depend d
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass
              AND d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
              AND d.refclassid = 'pg_class'::regclass
              AND d.deptype IN ('a', 'i')
            LIMIT 1) AS column_max
    FROM pg_sequences s
    WHERE s.schemaname = @schema::text
      AND s.increment_by > 0
      AND s.last_value IS NOT NULL
)
SELECT format('%I.%I', schemaname, sequencename) AS sequence_name,
       last_value,
       least(max_value, coalesce(column_max, max_value)) AS limit_value,
       (last_value::numeric / least(max_value, coalesce(column_max, max_value)))::float8 AS used
FROM seqs
ORDER BY used DESC, 1
