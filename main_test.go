package forge_test

import (
	"context"
	"os"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// fastPasswords keeps argon2id cheap in tests: the machine runs several test binaries at once.
var fastPasswords = forge.PasswordParams{Memory: 64, Iterations: 1, Parallelism: 1}

// openTestDB opens Forge on a fresh migrated database and closes it when the test ends.
func openTestDB(t testing.TB) *forge.DB {
	t.Helper()
	return openTestDBWith(t, forge.Config{})
}

// openTestDBWith is openTestDB with cfg, whose DatabaseURL and Passwords it sets.
func openTestDBWith(t testing.TB, cfg forge.Config) *forge.DB {
	t.Helper()
	cfg.DatabaseURL = pgtest.New(t).URL
	cfg.Passwords = fastPasswords
	fdb, err := forge.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = fdb.Close() })
	return fdb
}

func createUser(t testing.TB, db *forge.DB, email string) int64 {
	t.Helper()
	u, err := db.Client.User.Create().SetName("Test User").SetEmail(email).SetPasswordHash("x").
		Save(context.Background())
	require.NoError(t, err)
	return u.ID
}

func createProduct(t testing.TB, db *forge.DB, name, price string) int64 {
	t.Helper()
	p, err := db.Client.Product.Create().SetName(name).SetPrice(decimal.RequireFromString(price)).
		Save(context.Background())
	require.NoError(t, err)
	return p.ID
}

// exampleDB opens Forge on a new, empty database of the test server, for Example functions,
// which cannot take a *testing.T. The returned function closes the DB and drops the database.
func exampleDB() (*forge.DB, func()) {
	url, drop := newExampleDatabase()
	db, err := forge.Open(context.Background(), forge.Config{DatabaseURL: url, Migrate: true, Passwords: fastPasswords})
	if err != nil {
		panic(err)
	}
	return db, func() {
		_ = db.Close()
		drop()
	}
}

// useExampleDatabase points DATABASE_URL at a new, empty database of the test server, so an
// example reads it as an application would. The returned function restores the variable and
// drops the database. Examples run one at a time, after the tests, so changing the
// environment is safe there.
func useExampleDatabase() func() {
	url, drop := newExampleDatabase()
	old, had := os.LookupEnv("DATABASE_URL")
	_ = os.Setenv("DATABASE_URL", url)
	return func() {
		if had {
			_ = os.Setenv("DATABASE_URL", old)
		} else {
			_ = os.Unsetenv("DATABASE_URL")
		}
		drop()
	}
}

// newExampleDatabase creates an empty database and returns its URL and a function that
// drops it. Failures panic, because examples have no *testing.T to report to.
func newExampleDatabase() (string, func()) {
	url, drop, err := pgtest.CreateDatabase(context.Background(), "template0")
	if err != nil {
		panic(err)
	}
	return url, drop
}

func mustDecimal(s string) decimal.Decimal { return decimal.RequireFromString(s) }
