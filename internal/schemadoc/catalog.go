package schemadoc

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

type column struct {
	Name, Type, ShortType, Default string
	NotNull                        bool
	Identity                       bool
	PrimaryKey                     bool
}

type constraint struct {
	Name, Kind, Definition string
}

type index struct {
	Name, Definition, Comment string
	Primary, Unique           bool
}

type foreignKey struct {
	Table, Column, RefTable string
	NotNull                 bool
}

type table struct {
	Name        string
	Columns     []column
	Constraints []constraint
	Indexes     []index
}

type catalog struct {
	Tables      []*table
	ForeignKeys []foreignKey
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readCatalog reads the tables of the public schema as PostgreSQL reports them.
func readCatalog(ctx context.Context, db queryer) (*catalog, error) {
	cat := &catalog{}
	byName := map[string]*table{}
	rows, err := db.Query(ctx, `
		SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), t.typname,
			COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attnotnull, a.attidentity <> '',
			EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey))
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		JOIN pg_type t ON t.oid = a.atttypid
		LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
		ORDER BY c.relname, a.attnum`)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	for rows.Next() {
		var tableName string
		var col column
		if err := rows.Scan(&tableName, &col.Name, &col.Type, &col.ShortType, &col.Default, &col.NotNull, &col.Identity, &col.PrimaryKey); err != nil {
			rows.Close()
			return nil, err
		}
		t := byName[tableName]
		if t == nil {
			t = &table{Name: tableName}
			byName[tableName] = t
			cat.Tables = append(cat.Tables, t)
		}
		t.Columns = append(t.Columns, col)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := readConstraints(ctx, db, byName, cat); err != nil {
		return nil, err
	}
	return cat, readIndexes(ctx, db, byName)
}

func readConstraints(ctx context.Context, db queryer, byName map[string]*table, cat *catalog) error {
	rows, err := db.Query(ctx, `
		SELECT c.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid),
			COALESCE(ref.relname, ''), COALESCE(a.attname, ''), COALESCE(a.attnotnull, false)
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_class ref ON ref.oid = con.confrelid
		LEFT JOIN pg_attribute a ON con.contype = 'f' AND a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
		WHERE n.nspname = 'public'
		ORDER BY c.relname, con.contype, con.conname`)
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	defer rows.Close()
	kinds := map[string]string{"p": "primary key", "f": "foreign key", "c": "check", "u": "unique", "x": "exclusion"}
	for rows.Next() {
		var tableName, refTable, fkColumn string
		var con constraint
		var notNull bool
		if err := rows.Scan(&tableName, &con.Name, &con.Kind, &con.Definition, &refTable, &fkColumn, &notNull); err != nil {
			return err
		}
		if con.Kind == "f" {
			cat.ForeignKeys = append(cat.ForeignKeys, foreignKey{Table: tableName, Column: fkColumn, RefTable: refTable, NotNull: notNull})
		}
		con.Kind = kinds[con.Kind]
		if t := byName[tableName]; t != nil {
			t.Constraints = append(t.Constraints, con)
		}
	}
	return rows.Err()
}

func readIndexes(ctx context.Context, db queryer, byName map[string]*table) error {
	rows, err := db.Query(ctx, `
		SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique,
			COALESCE(obj_description(i.indexrelid, 'pg_class'), '')
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public'
		ORDER BY c.relname, ic.relname`)
	if err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tableName string
		var idx index
		if err := rows.Scan(&tableName, &idx.Name, &idx.Definition, &idx.Primary, &idx.Unique, &idx.Comment); err != nil {
			return err
		}
		if t := byName[tableName]; t != nil {
			t.Indexes = append(t.Indexes, idx)
		}
	}
	return rows.Err()
}
