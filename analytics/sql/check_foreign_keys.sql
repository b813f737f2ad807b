-- Foreign keys whose columns are not the leading key columns, in any order, of a valid
-- non-partial index on the referencing table. Without one, every delete or key update on the
-- referenced table scans the referencing table.
SELECT format('%I.%I', n.nspname, t.relname) AS table_name,
       k.conname::text AS constraint_name,
       (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY u.ord)
        FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns,
       k.confrelid::regclass::text AS referenced_table
FROM pg_constraint k
JOIN pg_class t ON t.oid = k.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE k.contype = 'f'
  AND n.nspname = @schema::text
  AND NOT EXISTS (
      SELECT FROM pg_index i
      WHERE i.indrelid = k.conrelid
        AND i.indisvalid
        AND i.indpred IS NULL
        AND cardinality(k.conkey) <= i.indnkeyatts
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] @> k.conkey
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] <@ k.conkey
  )
ORDER BY 1, 2
