-- Indexes whose key columns are the leading key columns of another index on the same table,
-- with the same access method, operator classes, sort options, collations, expressions and
-- predicate: any scan the first serves, the second serves too. A unique index is reported only
-- when the other one is unique on exactly the same columns, because otherwise it enforces a
-- constraint the other does not. A primary key is never reported. Of two exact duplicates, the
-- one that backs no constraint (or else the newer one) is reported.
WITH idx AS (
    SELECT i.indexrelid,
           i.indrelid,
           i.indisunique,
           i.indisprimary,
           i.indnkeyatts,
           i.indnatts,
           string_to_array(i.indkey::text, ' ') AS columns,
           string_to_array(i.indclass::text, ' ') AS classes,
           string_to_array(i.indoption::text, ' ') AS options,
           string_to_array(i.indcollation::text, ' ') AS collations,
           coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS expressions,
           coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS predicate,
           c.relam,
           EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS backs_constraint
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = @schema::text
      AND i.indisvalid
), pairs AS (
    SELECT a.indexrelid AS redundant,
           b.indexrelid AS covering,
           a.indrelid,
           a.indnkeyatts = b.indnkeyatts AND a.columns = b.columns AND a.indisunique = b.indisunique AS exact,
           a.backs_constraint AS a_constraint,
           b.backs_constraint AS b_constraint
    FROM idx a
    JOIN idx b
      ON b.indrelid = a.indrelid
     AND b.indexrelid <> a.indexrelid
     AND b.relam = a.relam
     AND b.expressions = a.expressions
     AND b.predicate = a.predicate
    WHERE NOT a.indisprimary
      AND a.indnatts = a.indnkeyatts
      AND a.indnkeyatts <= b.indnkeyatts
      AND a.columns = b.columns[1:a.indnkeyatts]
      AND a.classes = b.classes[1:a.indnkeyatts]
      AND a.options = b.options[1:a.indnkeyatts]
      AND a.collations = b.collations[1:a.indnkeyatts]
      AND (NOT a.indisunique OR (b.indisunique AND a.indnkeyatts = b.indnkeyatts))
)
SELECT p.redundant::regclass::text AS index_name,
       p.covering::regclass::text AS covered_by,
       p.indrelid::regclass::text AS table_name,
       p.exact,
       pg_relation_size(p.redundant) AS bytes
FROM pairs p
WHERE NOT p.exact
   OR (p.a_constraint, p.covering) < (p.b_constraint, p.redundant)
ORDER BY 1, 2
