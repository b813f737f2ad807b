package seed

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
)

// envKillHelperURL makes TestSeedProcessHelper seed the database at this URL; the test binary
// re-runs itself with it set, so TestRunKilledProcessLeavesDatabaseUnchanged has a process
// to kill.
const envKillHelperURL = "FORGE_SEED_KILL_HELPER_URL"

// killSignal is the line the helper prints when it is loading order_items.
const killSignal = "loading order_items"

func TestRunKilledProcessLeavesDatabaseUnchanged(t *testing.T) {
	t.Parallel()
	db, _ := seeded(t, testConfig())
	digests, catalog := tableDigests(t, db.Pool), catalogSnapshot(t, db.Pool)

	cmd := exec.Command(os.Args[0], "-test.run=^TestSeedProcessHelper$")
	// The helper reuses this binary's server instead of starting its own in TestMain.
	cmd.Env = append(os.Environ(), envKillHelperURL+"="+db.URL, pgtest.EnvDatabaseURL+"="+pgtest.AdminURL())
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	lines := bufio.NewScanner(stdout)
	signalled := false
	for lines.Scan() {
		if lines.Text() == killSignal {
			signalled = true
			break
		}
	}
	require.True(t, signalled, "the helper process ended before loading order_items")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	// The server rolls back when it notices the closed connection; the digest queries wait for
	// the dead transaction's locks until then.
	require.Equal(t, digests, tableDigests(t, db.Pool))
	require.Equal(t, catalog, catalogSnapshot(t, db.Pool))
	require.Equal(t, int64(1), queryInt64(t, db.Pool, "SELECT count(*) FROM seed_runs"))
}

// TestSeedProcessHelper is the process that TestRunKilledProcessLeavesDatabaseUnchanged
// kills. It does nothing unless envKillHelperURL is set.
func TestSeedProcessHelper(t *testing.T) {
	url := os.Getenv(envKillHelperURL)
	if url == "" {
		t.Skip("runs only as the helper process of TestRunKilledProcessLeavesDatabaseUnchanged")
	}
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()

	cfg := testConfig()
	cfg.Seed = 9
	cfg.Reset = true
	printed := false
	block := make(chan struct{})
	cfg.Progress = func(p Progress) {
		if p.Table == TableOrderItems && !printed {
			printed = true
			fmt.Println(killSignal)
			<-block // hold the transaction open mid-COPY until the parent kills this process
		}
	}
	_, err = Run(context.Background(), pool, cfg)
	t.Fatalf("the seed should have been killed midway, but it returned %v", err)
}
