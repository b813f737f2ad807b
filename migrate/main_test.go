package migrate_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

// childEnv, when set, makes the test binary run one migration and exit: the kill tests start
// it as a separate process so they can kill -9 a run in the middle of a file.
const childEnv = "FORGE_TEST_MIGRATE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild(os.Getenv("FORGE_TEST_URL"), os.Getenv("FORGE_TEST_DIR")))
	}
	os.Exit(pgtest.Main(m))
}

func runChild(url, dir string) int {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	src, err := migrate.Load(os.DirFS(dir), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	m, err := migrate.New(pool, &migrate.Config{Source: src})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := m.Up(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
