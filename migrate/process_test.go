package migrate_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgserver"
	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

// startChild runs one `migrate up` of dir against url in a separate process.
func startChild(t *testing.T, url, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "FORGE_TEST_URL="+url, "FORGE_TEST_DIR="+dir)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func waitForQuery(t *testing.T, pool *pgxpool.Pool, pattern string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		err := pool.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`, pattern).Scan(&n)
		return err == nil && n > 0
	}, 20*time.Second, 20*time.Millisecond, "no session ran %q", pattern)
}

func TestKilledRunInTransactionalFileAppliesItOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t,
		migration{"a", "CREATE TABLE a (id int);", "DROP TABLE a;"},
		migration{"bc", "CREATE TABLE b (id int);\nSELECT pg_sleep(2);\nCREATE TABLE c (id int);", "DROP TABLE c;\nDROP TABLE b;"},
	)
	child := startChild(t, db.URL, dir)
	waitForQuery(t, db.Pool, "SELECT pg_sleep(2)%")

	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()
	require.False(t, tableExists(t, db.Pool, "b"), "the killed file's transaction is not committed")

	// The orphaned session holds the lock until its statement ends; this run waits for it.
	res, err := newMigrator(t, db.Pool, dir, migrate.Config{}).Up(ctx)
	require.NoError(t, err)
	require.Len(t, res.Applied, 1)
	require.True(t, tableExists(t, db.Pool, "c"))
	require.Equal(t, 2, revisionCount(t, db.Pool))
}

func TestKilledRunInNoTxFileResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"steps",
		"-- atlas:txmode none\n\nCREATE TABLE b (id int);\nSELECT pg_sleep(2);\nCREATE TABLE c (id int);",
		"-- atlas:txmode none\n\nDROP TABLE c;\nDROP TABLE b;"})
	child := startChild(t, db.URL, dir)
	waitForQuery(t, db.Pool, "SELECT pg_sleep(2)%")

	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()
	require.True(t, tableExists(t, db.Pool, "b"), "the first statement committed on its own")
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	st, err := m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st[0].Applied)

	// Resuming skips CREATE TABLE b, which would fail if it ran twice.
	res, err := m.Up(ctx)
	require.NoError(t, err)
	require.Len(t, res.Applied, 1)
	require.True(t, tableExists(t, db.Pool, "c"))
	st, err = m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateApplied, st[0].State)
}

func TestServerRestartDuringRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, err := os.MkdirTemp("", "forge-restart-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	require.NoError(t, os.Chmod(root, 0o755))
	srv, err := pgserver.New(pgserver.Options{Dir: filepath.Join(root, "pg")})
	require.NoError(t, err)
	_, err = srv.Start(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Remove(context.Background()) })
	url, err := srv.URL()
	require.NoError(t, err)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	dir := writeDir(t,
		migration{"a", "CREATE TABLE a (id int);", "DROP TABLE a;"},
		migration{"slow", "CREATE TABLE b (id int);\nSELECT pg_sleep(5);", "DROP TABLE b;"},
	)
	m := newMigrator(t, pool, dir, migrate.Config{})
	done := make(chan error, 1)
	go func() { _, err := m.Up(ctx); done <- err }()
	waitForQuery(t, pool, "SELECT pg_sleep(5)%")

	_, err = srv.Stop(ctx)
	require.NoError(t, err)
	require.Error(t, <-done, "a run whose server stops must fail")
	_, err = srv.Start(ctx)
	require.NoError(t, err)

	res, err := m.Up(ctx)
	require.NoError(t, err)
	require.Len(t, res.Applied, 1)
	require.Equal(t, "02", res.Applied[0].Version)
	require.True(t, tableExists(t, pool, "b"))
	require.Equal(t, 2, revisionCount(t, pool))
}
