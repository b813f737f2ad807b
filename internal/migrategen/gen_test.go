package migrategen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/migrategen"
	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// committedDir copies migrate/migrations so a test may write into the copy.
func committedDir(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(filepath.Join("..", "..", "migrate", "migrations"))))
	return dst
}

func TestCommittedMigrationsMatchEntSchema(t *testing.T) {
	t.Parallel()
	dir := committedDir(t)

	res, err := migrategen.Generate(context.Background(), pgtest.AdminURL(), dir, migrategen.Options{Name: "pending"})
	require.NoError(t, err)
	require.Empty(t, res.UpFile, "the ent schema has changes with no migration: run `forge migrate new NAME`")
}

func TestGenerateFromEmptyMatchesHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	res, err := migrategen.Generate(ctx, pgtest.AdminURL(), dir, migrategen.Options{Name: "all", Version: "1"})
	require.NoError(t, err)
	require.FileExists(t, res.UpFile)
	require.FileExists(t, res.DownFile)

	src, err := migrate.Load(os.DirFS(dir), dir)
	require.NoError(t, err)
	require.NoError(t, src.Verify())
	single := pgtest.NewEmpty(t)
	m, err := migrate.New(single.Pool, &migrate.Config{Source: src})
	require.NoError(t, err)
	_, err = m.Up(ctx)
	require.NoError(t, err)

	history := pgtest.New(t)
	want, err := pgtest.DescribeSchema(ctx, history.Pool)
	require.NoError(t, err)
	got, err := pgtest.DescribeSchema(ctx, single.Pool)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestGenerateRejectsInvalidName(t *testing.T) {
	t.Parallel()

	_, err := migrategen.Generate(context.Background(), pgtest.AdminURL(), t.TempDir(), migrategen.Options{Name: "Add Users"})
	require.ErrorContains(t, err, `invalid migration name "Add Users"`)
}
