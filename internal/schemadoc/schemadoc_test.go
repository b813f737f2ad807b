package schemadoc_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/internal/schemadoc"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestSchemaDocIsCurrent(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	got, err := schemadoc.Generate(context.Background(), db.Pool)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "..", "docs", "database", "schema.md"))
	require.NoError(t, err)
	require.Equal(t, string(want), got, "docs/database/schema.md is stale: run `go run ./cmd/forge docs schema`")
}

func TestSchemaDocRequiresIndexJustification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	_, err := db.Pool.Exec(ctx, `CREATE INDEX products_name_idx ON products (name)`)
	require.NoError(t, err)

	_, err = schemadoc.Generate(ctx, db.Pool)
	require.ErrorContains(t, err, "indexes without a stated query: products_name_idx")
}

func TestSchemaDocAcceptsIndexComment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	_, err := db.Pool.Exec(ctx, `CREATE INDEX products_name_idx ON products (name);
		COMMENT ON INDEX products_name_idx IS 'Product search by name prefix.'`)
	require.NoError(t, err)

	doc, err := schemadoc.Generate(ctx, db.Pool)
	require.NoError(t, err)
	require.Contains(t, doc, "| `products_name_idx` | `btree (name)` | Product search by name prefix. |")
}
