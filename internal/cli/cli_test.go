package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgserver"
	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

// run executes the forge command in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDemoRunsEndToEnd(t *testing.T) {
	t.Parallel()
	db := pgtest.NewEmpty(t)

	code, out, errOut := run(t, "--database-url", db.URL, "demo")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{"applied ", "Seeded with seed", "== Top customers by lifetime value ==",
		"== Customer tiers", "VIP ", "Regular ", "New ", "== Table sizes =="} {
		require.Contains(t, out, want)
	}

	// A second demo replaces the data instead of refusing it.
	code, out, errOut = run(t, "--database-url", db.URL, "demo")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "No pending migrations")
}

// TestConcurrentMigrateOnNewLocalServer starts eight `forge migrate up` at once with no
// server yet: one initializes and starts it, and each version is applied exactly once.
func TestConcurrentMigrateOnNewLocalServer(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), ".forge")
	t.Cleanup(func() {
		srv, err := pgserver.New(pgserver.Options{Dir: dir})
		if err == nil {
			_ = srv.Remove(context.Background())
		}
	})
	if os.Getenv("DATABASE_URL") != "" {
		t.Skip("DATABASE_URL is set, so forge would not use the local server")
	}

	const runs = 8
	var wg sync.WaitGroup
	codes := make([]int, runs)
	outputs := make([]string, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errOut bytes.Buffer
			codes[i] = Main([]string{"--data-dir", dir, "migrate", "up"}, &out, &errOut)
			outputs[i] = out.String() + errOut.String()
		}()
	}
	wg.Wait()

	applied := 0
	for i := range runs {
		require.Equal(t, 0, codes[i], outputs[i])
		applied += strings.Count(outputs[i], "applied  ")
	}
	src, err := migrate.Embedded()
	require.NoError(t, err)
	files, err := src.Files()
	require.NoError(t, err)
	require.Equal(t, len(files), applied)
	code, out, _ := run(t, "--data-dir", dir, "migrate", "status")
	require.Equal(t, 0, code)
	require.Contains(t, out, " 0 pending.")
}

func TestConnectionErrorHidesPassword(t *testing.T) {
	t.Parallel()
	const password = "s3cret-Pa55"
	for _, url := range []string{
		"postgres://app:" + password + "@127.0.0.1:1/shop?connect_timeout=2",
		"host=127.0.0.1 port=1 user=app password=" + password + " dbname=shop connect_timeout=2",
		"postgres://app:" + password + "@[::1", // invalid
	} {
		code, out, errOut := run(t, "--database-url", url, "migrate", "status")
		require.NotEqual(t, 0, code)
		require.NotContains(t, out+errOut, password)
		require.Contains(t, errOut, "forge: ")
	}
}

func TestDBCommandsRejectDatabaseURL(t *testing.T) {
	t.Parallel()

	code, _, errOut := run(t, "--database-url", "postgres://localhost/x", "db", "stop")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "manages the local server only")
}

func TestMigrateLintExitsTwoOnHazard(t *testing.T) {
	t.Parallel()
	db := pgtest.NewEmpty(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "1_base.sql"), []byte("CREATE TABLE t (id int);\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2_index.sql"), []byte("CREATE INDEX t_id_idx ON t (id);\n"), 0o644))
	require.NoError(t, migrate.WriteSums(dir))

	code, out, errOut := run(t, "--database-url", db.URL, "migrate", "lint", "--dir", dir)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, out, "2_index.sql:1: error FG101")
	require.Contains(t, out, "fix: use CREATE INDEX CONCURRENTLY")
}

func TestMigrateUpDryRunPrintsSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.NewEmpty(t)

	code, out, errOut := run(t, "--database-url", db.URL, "migrate", "up", "--dry-run")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `CREATE TABLE "users"`)
	code, out, _ = run(t, "--database-url", db.URL, "migrate", "status")
	require.Equal(t, 0, code)
	require.NotContains(t, out, "applied ")
}

func TestUnknownSubcommandFails(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"analytics", "chek"}, {"migrate", "bogus"}, {"db", "strat"}} {
		code, _, errOut := run(t, args...)
		require.Equal(t, 1, code, "forge %v", args)
		require.Contains(t, errOut, "unknown command "+`"`+args[1]+`"`)
	}
	_, _, errOut := run(t, "analytics", "chek")
	require.Contains(t, errOut, `did you mean "check"?`)
}
