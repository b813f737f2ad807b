package seed

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// indexStrategy is the treatment of indexes and constraints while rows arrive.
type indexStrategy int

const (
	// dropIndexesAndForeignKeys drops every index, primary key, unique constraint and foreign
	// key of the data tables before COPY and recreates them from their catalog definitions
	// afterwards. CHECK and NOT NULL constraints stay, because they cost little per row.
	dropIndexesAndForeignKeys indexStrategy = iota
	// dropForeignKeys keeps indexes and drops only foreign keys.
	dropForeignKeys
	// keepAll loads into the schema as the migrations left it.
	keepAll
)

func (s indexStrategy) String() string {
	switch s {
	case dropIndexesAndForeignKeys:
		return "drop indexes and foreign keys"
	case dropForeignKeys:
		return "drop foreign keys"
	default:
		return "keep all"
	}
}

// schemaObject is an index or constraint that the load drops and recreates, with the
// statements that do both, taken from the catalog so the result matches the migrations.
type schemaObject struct {
	kind    byte // 'f' foreign key, 'p' primary key, 'u' unique constraint, 'i' index
	name    string
	drop    string
	create  string
	comment string // COMMENT statement, empty when the object has no comment
}

// capturedSchema holds the dropped objects in creation order: keys, then indexes, then the
// foreign keys that need the keys.
type capturedSchema struct{ objects []schemaObject }

const constraintsQuery = `
SELECT c.contype, c.conname, format('%I.%I', n.nspname, t.relname),
       pg_get_constraintdef(c.oid), obj_description(c.oid, 'pg_constraint')
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE c.contype IN ('p', 'u', 'f')
  AND (c.conrelid = ANY($1::regclass[]) OR c.confrelid = ANY($1::regclass[]))
ORDER BY c.contype, n.nspname, t.relname, c.conname`

const indexesQuery = `
SELECT format('%I.%I', n.nspname, ic.relname), pg_get_indexdef(i.indexrelid),
       obj_description(i.indexrelid, 'pg_class')
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE i.indrelid = ANY($1::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
ORDER BY n.nspname, ic.relname`

// captureSchema reads the objects of tables that the strategy drops.
func captureSchema(ctx context.Context, tx pgx.Tx, strategy indexStrategy, tables []string) (*capturedSchema, error) {
	s := &capturedSchema{}
	if strategy == keepAll {
		return s, nil
	}

	rows, err := tx.Query(ctx, constraintsQuery, tables)
	if err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}
	var keys, foreignKeys []schemaObject
	for rows.Next() {
		var kind, name, table, def string
		var comment *string
		if err := rows.Scan(&kind, &name, &table, &def, &comment); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read constraints: %w", err)
		}
		obj := schemaObject{
			kind:   kind[0],
			name:   name,
			drop:   fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", table, pgx.Identifier{name}.Sanitize()),
			create: fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", table, pgx.Identifier{name}.Sanitize(), def),
		}
		if comment != nil {
			obj.comment = fmt.Sprintf("COMMENT ON CONSTRAINT %s ON %s IS %s",
				pgx.Identifier{name}.Sanitize(), table, quoteLiteral(*comment))
		}
		if obj.kind == 'f' {
			foreignKeys = append(foreignKeys, obj)
		} else if strategy == dropIndexesAndForeignKeys {
			keys = append(keys, obj)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}

	var indexes []schemaObject
	if strategy == dropIndexesAndForeignKeys {
		indexes, err = captureIndexes(ctx, tx, tables)
		if err != nil {
			return nil, err
		}
	}
	s.objects = append(append(append(s.objects, keys...), indexes...), foreignKeys...)
	return s, nil
}

func captureIndexes(ctx context.Context, tx pgx.Tx, tables []string) ([]schemaObject, error) {
	rows, err := tx.Query(ctx, indexesQuery, tables)
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	defer rows.Close()
	var indexes []schemaObject
	for rows.Next() {
		var name, def string
		var comment *string
		if err := rows.Scan(&name, &def, &comment); err != nil {
			return nil, fmt.Errorf("read indexes: %w", err)
		}
		obj := schemaObject{kind: 'i', name: name, drop: "DROP INDEX " + name, create: def}
		if comment != nil {
			obj.comment = fmt.Sprintf("COMMENT ON INDEX %s IS %s", name, quoteLiteral(*comment))
		}
		indexes = append(indexes, obj)
	}
	return indexes, rows.Err()
}

// dropAll drops the captured objects, dependents (foreign keys) first.
func (s *capturedSchema) dropAll(ctx context.Context, tx pgx.Tx) error {
	for i := len(s.objects) - 1; i >= 0; i-- {
		if _, err := tx.Exec(ctx, s.objects[i].drop); err != nil {
			return fmt.Errorf("drop %s before loading: %w", s.objects[i].name, err)
		}
	}
	return nil
}

// createAll recreates the captured objects. Building an index over the loaded table and
// validating a foreign key with one join is much faster than maintaining them per row.
func (s *capturedSchema) createAll(ctx context.Context, tx pgx.Tx) error {
	for _, obj := range s.objects {
		if _, err := tx.Exec(ctx, obj.create); err != nil {
			return fmt.Errorf("recreate %s after loading: %w", obj.name, err)
		}
		if obj.comment == "" {
			continue
		}
		if _, err := tx.Exec(ctx, obj.comment); err != nil {
			return fmt.Errorf("restore comment of %s: %w", obj.name, err)
		}
	}
	return nil
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
