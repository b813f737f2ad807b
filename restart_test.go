package forge_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/internal/pgserver"
)

// TestServerRestartDuringLoad stops and starts a dedicated server while loadClients
// goroutines place orders and verify tokens on one DB. Calls during the outage must fail with
// errors that IsUnavailable recognizes, and the same DB must work again after the restart.
func TestServerRestartDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL server")
	}
	t.Parallel()
	ctx := context.Background()
	srv := startDedicatedServer(t)
	url, err := srv.URL()
	require.NoError(t, err)
	db, err := forge.Open(ctx, forge.Config{DatabaseURL: url, Migrate: true, MaxConns: loadClients,
		ConnectTimeout: 2 * time.Second, Passwords: fastPasswords})
	require.NoError(t, err)
	defer db.Close()
	f := newLoadFixture(t, db, 20)

	stop := make(chan struct{})
	results := make(chan *loadResult, 1)
	go func() { results <- runLoad(stop, db, f) }()

	time.Sleep(time.Second)
	stoppedAt := time.Now()
	_, err = srv.Stop(ctx)
	require.NoError(t, err)
	time.Sleep(time.Second)
	_, err = srv.Start(ctx)
	require.NoError(t, err)
	startedAt := time.Now()

	// The pool replaces broken connections on its own: wait until an order succeeds again.
	var recovered bool
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := db.PlaceOrder(ctx, f.userIDs[0], []forge.OrderLine{{ProductID: f.products[0], Quantity: 1}}); err == nil {
			recovered = true
			break
		}
	}
	require.True(t, recovered, "no order succeeded within 30s of the restart")
	recoveredAt := time.Now()
	time.Sleep(time.Second)
	close(stop)
	res := <-results

	var outage, later int
	for _, e := range res.errs {
		require.ErrorIs(t, e.err, forge.ErrUnavailable, "error is not recognized as an outage")
		require.NotEmpty(t, e.err.Error())
		switch {
		case e.at.Before(stoppedAt):
			t.Errorf("error before the server stopped: %v", e.err)
		case e.at.After(recoveredAt):
			later++
		default:
			outage++
		}
	}
	require.Positive(t, outage, "expected calls to fail while the server was down")
	t.Logf("outage of %s: %d failed calls; %d more after the first success; %d orders committed in all",
		startedAt.Sub(stoppedAt).Round(time.Millisecond), outage, later, len(res.committed))
	seen := map[string]bool{}
	for _, e := range res.errs {
		text := strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return '#'
			}
			return r
		}, e.err.Error())
		if !seen[text] && len(seen) < 8 {
			seen[text] = true
			t.Logf("error during the outage: %v", e.err)
		}
	}
	requireOrdersIntact(t, db, res)
}

// startDedicatedServer starts a PostgreSQL server of its own in a temporary directory and
// stops it when the test ends.
func startDedicatedServer(t *testing.T) *pgserver.Server {
	t.Helper()
	dir, err := os.MkdirTemp("", "forge-restart-")
	require.NoError(t, err)
	// The server runs as another account when tests run as root: let it reach dir.
	require.NoError(t, os.Chmod(dir, 0o755))
	srv, err := pgserver.New(pgserver.Options{Dir: filepath.Join(dir, "pg")})
	require.NoError(t, err)
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := srv.Stop(stopCtx); err != nil {
			t.Errorf("stop dedicated server: %v", err)
		}
		_ = os.RemoveAll(dir)
	})
	startCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = srv.Start(startCtx)
	require.NoError(t, err)
	return srv
}
