package migrate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/migrate"
)

// migration is one version of a test directory.
type migration struct {
	name, up, down string
}

// writeDir writes the migrations as VERSION_NAME.sql files with versions 1, 2, ... and their
// down files, hashes both directories and returns the path.
func writeDir(t *testing.T, migrations ...migration) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, migrate.DownDir), 0o755))
	for i, m := range migrations {
		name := filepath.Join(dir, versionName(i+1, m.name))
		require.NoError(t, os.WriteFile(name, []byte(m.up), 0o644))
		if m.down != "" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, migrate.DownDir, versionName(i+1, m.name)), []byte(m.down), 0o644))
		}
	}
	require.NoError(t, migrate.WriteSums(dir))
	return dir
}

func versionName(v int, name string) string {
	return filepath.Base(filepath.Join(".", itoa(v)+"_"+name+".sql"))
}

func itoa(v int) string {
	return string(rune('0'+v/10%10)) + string(rune('0'+v%10))
}

func newMigrator(t *testing.T, pool *pgxpool.Pool, dir string, cfg migrate.Config) *migrate.Migrator {
	t.Helper()
	src, err := migrate.Load(os.DirFS(dir), dir)
	require.NoError(t, err)
	cfg.Source = src
	m, err := migrate.New(pool, &cfg)
	require.NoError(t, err)
	return m
}

func tableExists(t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok))
	return ok
}

func revisionCount(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(),
		`SELECT count(*) FROM atlas_schema_revisions.atlas_schema_revisions`).Scan(&n))
	return n
}
