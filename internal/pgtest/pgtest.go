// Package pgtest gives each test a fresh PostgreSQL database migrated to the latest version.
//
// One server runs per test binary: the local server binaries started in a temporary
// directory, or the server named by FORGE_TEST_DATABASE_URL (its role needs CREATEDB). The
// migrations run once into a template database, named after their checksum, and each test gets
// a copy of it made by CREATE DATABASE ... TEMPLATE, which takes milliseconds. A passing test's
// database is dropped; a failing test's database is kept and its URL logged, so you can look.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/forgedb/forge/internal/pgserver"
	"github.com/forgedb/forge/migrate"
)

// EnvDatabaseURL names a server to use instead of starting one. The URL's database is only
// used to connect; tests create and drop their own databases there.
const EnvDatabaseURL = "FORGE_TEST_DATABASE_URL"

var (
	adminURL string
	server   *pgserver.Server

	templateOnce sync.Once
	templateName string
	templateErr  error
)

// Main starts the server, runs the tests and stops the server. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	ctx := context.Background()
	if u := os.Getenv(EnvDatabaseURL); u != "" {
		adminURL = u
		return m.Run()
	}
	stopStaleServers(ctx)
	dir, err := os.MkdirTemp("", "forge-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: create server directory: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The server may run as another account (when tests run as root): let it reach dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	server, err = pgserver.New(pgserver.Options{Dir: filepath.Join(dir, "pg"), Database: "postgres"})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	_, err = server.Start(startCtx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: start PostgreSQL: %v\n", err)
		return 1
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if _, err := server.Stop(stopCtx); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop PostgreSQL: %v\n", err)
		}
	}()
	adminURL, err = server.URL()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	return m.Run()
}

// stopStaleServers stops servers left by test binaries that were killed (a `go test` timeout
// exits without running deferred calls), so they do not pile up across runs.
func stopStaleServers(ctx context.Context) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "forge-test-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || syscall.Kill(pid, 0) == nil {
			continue // owner still alive
		}
		srv, err := pgserver.New(pgserver.Options{Dir: filepath.Join(dir, "pg")})
		if err == nil {
			stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, _ = srv.Stop(stopCtx)
			cancel()
		}
		_ = os.RemoveAll(dir)
	}
}

// Server returns the server that Main started, or nil when FORGE_TEST_DATABASE_URL is set.
func Server() *pgserver.Server { return server }

// AdminURL returns a URL on the test server for a role that may create databases.
func AdminURL() string { return adminURL }

// DB is a database private to one test.
type DB struct {
	Name string
	URL  string
	Pool *pgxpool.Pool
}

// New returns a fresh database migrated to the latest embedded version.
func New(tb testing.TB) *DB {
	tb.Helper()
	tmpl, err := template()
	if err != nil {
		tb.Fatalf("pgtest: prepare template database: %v", err)
	}
	return create(tb, tmpl)
}

// NewEmpty returns a fresh database with no tables and no migration history.
func NewEmpty(tb testing.TB) *DB {
	tb.Helper()
	return create(tb, "template0")
}

func create(tb testing.TB, tmpl string) *DB {
	tb.Helper()
	if adminURL == "" {
		tb.Fatal("pgtest: no server: call pgtest.Main from TestMain")
	}
	ctx := context.Background()
	url, drop, err := CreateDatabase(ctx, tmpl)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	db := &DB{URL: url}
	if cfg, err := pgxpool.ParseConfig(url); err == nil {
		db.Name = cfg.ConnConfig.Database
	}
	db.Pool, err = pgxpool.New(ctx, db.URL)
	if err != nil {
		drop()
		tb.Fatalf("pgtest: open pool: %v", err)
	}
	tb.Cleanup(func() {
		db.Pool.Close()
		if tb.Failed() {
			tb.Logf("pgtest: kept database of failed test: %s", db.URL)
			return
		}
		drop()
	})
	return db
}

// CreateDatabase creates a database on the test server as a copy of tmpl ("template0" for an
// empty one) and returns its URL and a function that drops it. It serves code that has no
// testing.TB, such as Example functions; tests use New or NewEmpty.
func CreateDatabase(ctx context.Context, tmpl string) (string, func(), error) {
	if adminURL == "" {
		return "", nil, fmt.Errorf("no server: call pgtest.Main from TestMain")
	}
	name := "forge_test_" + randomSuffix()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to test server: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, pgx.Identifier{tmpl}.Sanitize())); err != nil {
		return "", nil, fmt.Errorf("create database from %s: %w", tmpl, err)
	}
	return withDatabase(adminURL, name), func() { dropDatabase(name) }, nil
}

func dropDatabase(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return
	}
	defer admin.Close(ctx)
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// template returns the migrated template database, creating it once per server. An advisory
// lock on the admin database keeps test binaries that share a server from racing.
func template() (string, error) {
	templateOnce.Do(func() {
		templateName, templateErr = buildTemplate(context.Background())
	})
	return templateName, templateErr
}

func buildTemplate(ctx context.Context) (string, error) {
	src, err := migrate.Embedded()
	if err != nil {
		return "", err
	}
	files, err := src.Files()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.Name()))
		h.Write(f.Bytes())
	}
	name := "forge_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]

	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(hashtext('forge-pgtest-template'))"); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('forge-pgtest-template'))") //nolint:errcheck
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+building+" TEMPLATE template0"); err != nil {
		return "", err
	}
	pool, err := pgxpool.New(ctx, withDatabase(adminURL, building))
	if err != nil {
		return "", err
	}
	m, err := migrate.New(pool, &migrate.Config{Source: src})
	if err == nil {
		_, err = m.Up(ctx)
	}
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	// Renaming last means a template exists only once it is complete.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", err
	}
	return name, nil
}

func withDatabase(connString, database string) string {
	u, err := url.Parse(connString)
	if err != nil || u.Scheme == "" {
		// key=value form
		return connString + " dbname=" + database
	}
	u.Path = "/" + database
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
