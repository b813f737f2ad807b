package forge_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the TZ test needs a zone database even on hosts without one

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/internal/pgtest"
)

const secretPassword = "s3cret-Pa55word"

func TestOpenSetsSessionDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)

	var appName, statementTimeout string
	err := db.Pool.QueryRow(ctx, "SELECT current_setting('application_name'), current_setting('statement_timeout')").
		Scan(&appName, &statementTimeout)
	require.NoError(t, err)
	require.Equal(t, forge.DefaultApplicationName, appName)
	require.Equal(t, "30s", statementTimeout)
}

func TestOpenConfigFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.New(t)
	db, err := forge.Open(ctx, forge.Config{
		DatabaseURL:      tdb.URL,
		MaxConns:         3,
		StatementTimeout: 1500 * time.Millisecond,
		ApplicationName:  "orders-api",
	})
	require.NoError(t, err)
	defer db.Close()

	var appName, statementTimeout string
	err = db.Pool.QueryRow(ctx, "SELECT current_setting('application_name'), current_setting('statement_timeout')").
		Scan(&appName, &statementTimeout)
	require.NoError(t, err)
	require.Equal(t, "orders-api", appName)
	require.Equal(t, "1500ms", statementTimeout)
	require.Equal(t, int32(3), db.Stats().MaxConns())
}

func TestOpenURLParametersWin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.New(t)
	db, err := forge.Open(ctx, forge.Config{
		DatabaseURL:      tdb.URL + "&application_name=from-url&statement_timeout=2500&pool_max_conns=2",
		MaxConns:         7,
		StatementTimeout: time.Second,
		ApplicationName:  "from-config",
	})
	require.NoError(t, err)
	defer db.Close()

	var appName, statementTimeout string
	err = db.Pool.QueryRow(ctx, "SELECT current_setting('application_name'), current_setting('statement_timeout')").
		Scan(&appName, &statementTimeout)
	require.NoError(t, err)
	require.Equal(t, "from-url", appName)
	require.Equal(t, "2500ms", statementTimeout)
	require.Equal(t, int32(2), db.Stats().MaxConns())
}

func TestOpenKeyValueConnString(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.New(t)
	cfg, err := pgxpool.ParseConfig(tdb.URL)
	require.NoError(t, err)
	conn := cfg.ConnConfig
	kv := "host=" + conn.Host + " port=" + strconv.Itoa(int(conn.Port)) + " user=" + conn.User +
		" dbname=" + conn.Database + " sslmode=disable"

	db, err := forge.Open(ctx, forge.Config{DatabaseURL: kv})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Ping(ctx))
}

func TestOpenInvalidURLHidesPassword(t *testing.T) {
	t.Parallel()
	urls := []string{
		"postgres://app:" + secretPassword + "@127.0.0.1:notaport/forge",
		"postgres://app:" + secretPassword + "@127.0.0.1:5432/forge?sslmode=bogus",
		"host=127.0.0.1 password=" + secretPassword + " port=notaport",
	}
	for _, u := range urls {
		_, err := forge.Open(context.Background(), forge.Config{DatabaseURL: u})
		require.ErrorIs(t, err, forge.ErrInvalidConfig)
		t.Log(err)
		require.NotContains(t, err.Error(), secretPassword)
	}
}

func TestOpenRefusedHidesPassword(t *testing.T) {
	t.Parallel()
	// Listen and close at once, so the port is closed and nothing else took it yet.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	_, err = forge.Open(context.Background(), forge.Config{
		DatabaseURL: "postgres://app:" + secretPassword + "@" + addr + "/forge?sslmode=disable",
	})
	require.ErrorIs(t, err, forge.ErrUnavailable)
	t.Log(err)
	require.NotContains(t, err.Error(), secretPassword)
}

func TestOpenTimesOutOnSilentServer(t *testing.T) {
	t.Parallel()
	// A listener that accepts connections and never responds, like a host behind a firewall
	// that drops packets after the handshake.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	_, err = forge.Open(context.Background(), forge.Config{
		DatabaseURL:    "postgres://app:" + secretPassword + "@" + l.Addr().String() + "/forge?sslmode=disable",
		ConnectTimeout: 300 * time.Millisecond,
	})
	require.ErrorIs(t, err, forge.ErrUnavailable)
	t.Log(err)
	require.NotContains(t, err.Error(), secretPassword)
	var unavailable *forge.UnavailableError
	require.ErrorAs(t, err, &unavailable)
	require.Equal(t, 300*time.Millisecond, unavailable.Timeout)
}

func TestPingAndStats(t *testing.T) {
	t.Parallel()
	db := openTestDB(t)

	require.NoError(t, db.Ping(context.Background()))
	require.GreaterOrEqual(t, db.Stats().TotalConns(), int32(1))
}

func TestOpenMigratesEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	empty := pgtest.NewEmpty(t)

	db, err := forge.Open(ctx, forge.Config{DatabaseURL: empty.URL, Migrate: true})
	require.NoError(t, err)
	defer db.Close()

	n, err := db.Client.Product.Query().Count(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestOpenMigratesConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	empty := pgtest.NewEmpty(t)

	errs := make(chan error, 3)
	for range 3 {
		go func() {
			db, err := forge.Open(ctx, forge.Config{DatabaseURL: empty.URL, Migrate: true})
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		require.NoError(t, <-errs)
	}
}

// envChildTZ marks the copy of the test binary that TestTimesScanInUTC starts under another TZ.
const envChildTZ = "FORGE_TEST_CHILD_TZ"

func TestTimesScanInUTC(t *testing.T) {
	if os.Getenv(envChildTZ) == "" {
		runUnderTZ(t, "Asia/Tokyo", "TestTimesScanInUTC")
		return
	}
	ctx := context.Background()
	require.Equal(t, "Asia/Tokyo", time.Local.String())
	db := openTestDB(t)
	id := createUser(t, db, "tz@example.com")

	u, err := db.Client.User.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, time.UTC, u.CreatedAt.Location())

	var viaPool time.Time
	require.NoError(t, db.Pool.QueryRow(ctx, "SELECT created_at FROM users WHERE id = $1", id).Scan(&viaPool))
	require.Equal(t, time.UTC, viaPool.Location())

	// A pool without Forge's setting scans in the local zone: the check above can fail.
	plain, err := pgxpool.New(ctx, pgtest.New(t).URL)
	require.NoError(t, err)
	defer plain.Close()
	var local time.Time
	require.NoError(t, plain.QueryRow(ctx, "SELECT now()").Scan(&local))
	require.Equal(t, "Asia/Tokyo", local.Location().String())
}

// runUnderTZ runs one test of this binary in a child process with TZ set, on the same test
// server, because the process's local zone is fixed when it starts.
func runUnderTZ(t *testing.T, tz, test string) {
	t.Helper()
	if pgtest.AdminURL() == "" {
		t.Fatal("no test server")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TZ="+tz, envChildTZ+"=1", pgtest.EnvDatabaseURL+"="+pgtest.AdminURL())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child test under TZ=%s failed:\n%s", tz, out)
	require.True(t, strings.Contains(string(out), "PASS"), "child test did not pass:\n%s", out)
}

func TestUnavailableErrorMatches(t *testing.T) {
	t.Parallel()
	err := &forge.UnavailableError{Op: "ping", Timeout: time.Second}

	require.True(t, errors.Is(err, forge.ErrUnavailable))
	require.True(t, forge.IsUnavailable(err))
}

func TestOpenMissingDatabaseIsConfigError(t *testing.T) {
	t.Parallel()
	tdb := pgtest.New(t)
	cfg, err := pgxpool.ParseConfig(tdb.URL)
	require.NoError(t, err)
	conn := cfg.ConnConfig
	kv := "host=" + conn.Host + " port=" + strconv.Itoa(int(conn.Port)) + " user=" + conn.User +
		" password=" + secretPassword + " dbname=no_such_database sslmode=disable"

	_, err = forge.Open(context.Background(), forge.Config{DatabaseURL: kv})
	require.ErrorIs(t, err, forge.ErrInvalidConfig)
	require.NotErrorIs(t, err, forge.ErrUnavailable)
	require.Contains(t, err.Error(), "no_such_database")
	require.NotContains(t, err.Error(), secretPassword)
	t.Log(err)
}

// TestOpenReadsPGEnvironment runs without t.Parallel, because it sets environment variables
// of the whole process.
func TestOpenReadsPGEnvironment(t *testing.T) {
	ctx := context.Background()
	tdb := pgtest.New(t)
	cfg, err := pgxpool.ParseConfig(tdb.URL)
	require.NoError(t, err)
	t.Setenv("PGHOST", cfg.ConnConfig.Host)
	t.Setenv("PGPORT", strconv.Itoa(int(cfg.ConnConfig.Port)))
	t.Setenv("PGUSER", cfg.ConnConfig.User)
	t.Setenv("PGDATABASE", tdb.Name)
	t.Setenv("PGSSLMODE", "disable")
	t.Setenv("PGAPPNAME", "from-env")

	db, err := forge.Open(ctx, forge.Config{})
	require.NoError(t, err)
	defer db.Close()

	var database, appName string
	err = db.Pool.QueryRow(ctx, "SELECT current_database(), current_setting('application_name')").
		Scan(&database, &appName)
	require.NoError(t, err)
	require.Equal(t, tdb.Name, database)
	require.Equal(t, "from-env", appName)
}

func TestOpenLogsWithoutPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.New(t)
	// The test server trusts local connections, so it accepts any password.
	withPassword := strings.Replace(tdb.URL, "postgres://forge@", "postgres://forge:"+secretPassword+"@", 1)
	require.Contains(t, withPassword, secretPassword)
	var logged bytes.Buffer

	db, err := forge.Open(ctx, forge.Config{
		DatabaseURL: withPassword,
		Migrate:     true,
		Logger:      slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	defer db.Close()

	require.Contains(t, logged.String(), "opened database")
	require.NotContains(t, logged.String(), secretPassword)
}
