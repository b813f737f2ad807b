package seed

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
)

func TestRunSameSeedAnyWorkerCount(t *testing.T) {
	t.Parallel()
	oneWorker := testConfig()
	oneWorker.Workers = 1
	many := testConfig()
	many.Workers = 5

	dbOne, reportOne := seeded(t, oneWorker)
	dbMany, reportMany := seeded(t, many)
	dbAgain, _ := seeded(t, oneWorker)

	digests := tableDigests(t, dbOne.Pool)
	require.Equal(t, digests, tableDigests(t, dbMany.Pool), "1 worker and 5 workers")
	require.Equal(t, digests, tableDigests(t, dbAgain.Pool), "two runs with 1 worker")
	require.Equal(t, reportOne.Checksum, reportMany.Checksum)
}

func TestRunOtherSeedOtherData(t *testing.T) {
	t.Parallel()
	other := testConfig()
	other.Seed = -42

	dbOne, reportOne := seeded(t, testConfig())
	dbOther, reportOther := seeded(t, other)

	digests, otherDigests := tableDigests(t, dbOne.Pool), tableDigests(t, dbOther.Pool)
	for _, table := range DataTables {
		require.NotEqual(t, digests[table], otherDigests[table], table)
	}
	require.NotEqual(t, reportOne.Checksum, reportOther.Checksum)
}

func TestRunReportCounts(t *testing.T) {
	t.Parallel()
	db, report := seeded(t, testConfig())

	require.Equal(t, DefaultSeed, report.Seed)
	require.Equal(t, ScaleDemo, report.Scale)
	require.Equal(t, ReferenceTime, report.ReferenceTime)
	require.Len(t, report.Tables, len(loadedTables))
	want := map[string]int64{
		TableCustomerStats: report.Counts.Users,
		TableUsers:         report.Counts.Users,
		TableProducts:      report.Counts.Products,
		TableOrders:        report.Counts.Orders,
		TableOrderItems:    report.Counts.OrderItems,
		TableAuthTokens:    report.Counts.Tokens,
	}
	for _, tr := range report.Tables {
		require.Equal(t, want[tr.Name], tr.Rows, tr.Name)
		require.Equal(t, want[tr.Name], queryInt64(t, db.Pool, "SELECT count(*) FROM "+tr.Name), tr.Name)
	}
	require.Equal(t, int64(2_000), report.Counts.Users)
	require.Equal(t, int64(20), report.Counts.Products)
	require.Equal(t, int64(6_000), report.Counts.Orders)
	require.Equal(t, int64(1_000), report.Counts.Tokens)
}

func TestRunRecordsSeedRun(t *testing.T) {
	t.Parallel()
	db, report := seeded(t, testConfig())

	var (
		seed                        int64
		scale, checksum             string
		users, items, formatVersion int64
	)
	err := db.Pool.QueryRow(context.Background(),
		"SELECT seed, scale, checksum, users, order_items, format_version FROM seed_runs").
		Scan(&seed, &scale, &checksum, &users, &items, &formatVersion)
	require.NoError(t, err)
	require.Equal(t, report.Seed, seed)
	require.Equal(t, report.Scale, scale)
	require.Equal(t, report.Checksum, checksum)
	require.Equal(t, report.Counts.Users, users)
	require.Equal(t, report.Counts.OrderItems, items)
	require.Equal(t, int64(FormatVersion), formatVersion)
}

func TestRunRejectsNonEmptyDatabase(t *testing.T) {
	t.Parallel()
	db, _ := seeded(t, testConfig())
	before := tableDigests(t, db.Pool)

	again := testConfig()
	again.Seed = 2
	_, err := Run(context.Background(), db.Pool, again)

	require.ErrorIs(t, err, ErrNotEmpty)
	var notEmpty *NotEmptyError
	require.ErrorAs(t, err, &notEmpty)
	require.Equal(t, TableUsers, notEmpty.Table)
	require.Equal(t, before, tableDigests(t, db.Pool))
}

func TestRunResetReplacesDataKeepsHistory(t *testing.T) {
	t.Parallel()
	db, _ := seeded(t, testConfig())
	const revisions = `SELECT count(*) FROM atlas_schema_revisions.atlas_schema_revisions`
	revisionsBefore := queryInt64(t, db.Pool, revisions)
	require.Positive(t, revisionsBefore)

	cfg := testConfig()
	cfg.Seed = 2
	cfg.Reset = true
	_, err := Run(context.Background(), db.Pool, cfg)
	require.NoError(t, err)

	fresh, _ := seeded(t, func() Config { c := testConfig(); c.Seed = 2; return c }())
	require.Equal(t, tableDigests(t, fresh.Pool), tableDigests(t, db.Pool))
	require.Equal(t, revisionsBefore, queryInt64(t, db.Pool, revisions))
	require.Equal(t, int64(2), queryInt64(t, db.Pool, "SELECT count(*) FROM seed_runs"))
}

func TestRunRejectsUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.NewEmpty(t)

	_, err := Run(context.Background(), db.Pool, testConfig())

	require.ErrorIs(t, err, ErrNotMigrated)
}

func TestRunRejectsRemoteDatabase(t *testing.T) {
	t.Parallel()
	// pgxpool connects lazily, so this pool never sends anything: the seeder must reject the
	// host from the configuration alone.
	pool, err := pgxpool.New(context.Background(), "postgres://forge@db.example.invalid:5432/forge")
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	_, err = Run(context.Background(), pool, testConfig())

	var remote *RemoteError
	require.ErrorAs(t, err, &remote)
	require.Equal(t, "db.example.invalid", remote.Host)
	require.Zero(t, pool.Stat().TotalConns())
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	tests := []struct {
		name string
		edit func(*Config)
		want error
	}{
		{"seed zero", func(c *Config) { c.Seed = 0 }, ErrInvalidSeed},
		{"unknown scale", func(c *Config) { c.Scale = "huge" }, ErrInvalidScale},
		{"negative users", func(c *Config) { c.Users = -1 }, ErrInvalidCount},
		{"negative orders", func(c *Config) { c.Orders = -5 }, ErrInvalidCount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(&cfg)
			_, err := Run(context.Background(), db.Pool, cfg)
			require.ErrorIs(t, err, tt.want)
		})
	}
	require.Zero(t, queryInt64(t, db.Pool, "SELECT count(*) FROM users"))
}

func TestRunCancelledLeavesDatabaseUnchanged(t *testing.T) {
	t.Parallel()
	db, _ := seeded(t, testConfig())
	digests, catalog := tableDigests(t, db.Pool), catalogSnapshot(t, db.Pool)
	runs := queryInt64(t, db.Pool, "SELECT count(*) FROM seed_runs")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testConfig()
	cfg.Seed = 7
	cfg.Reset = true
	cfg.Progress = func(p Progress) {
		// Cancel halfway through the largest table, after the others were loaded.
		if p.Table == TableOrderItems && p.Rows > p.Total/2 {
			cancel()
		}
	}
	_, err := Run(ctx, db.Pool, cfg)

	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, digests, tableDigests(t, db.Pool))
	require.Equal(t, catalog, catalogSnapshot(t, db.Pool))
	require.Equal(t, runs, queryInt64(t, db.Pool, "SELECT count(*) FROM seed_runs"))
}

func TestRunFailedCopyLeavesDatabaseUnchanged(t *testing.T) {
	t.Parallel()
	db, _ := seeded(t, testConfig())
	// A constraint that later orders violate makes the COPY of orders fail midway.
	_, err := db.Pool.Exec(context.Background(),
		"ALTER TABLE orders ADD CONSTRAINT orders_test_limit CHECK (id <= 5000) NOT VALID")
	require.NoError(t, err)
	digests, catalog := tableDigests(t, db.Pool), catalogSnapshot(t, db.Pool)

	cfg := testConfig()
	cfg.Seed = 7
	cfg.Reset = true
	_, err = Run(context.Background(), db.Pool, cfg)

	require.ErrorContains(t, err, "orders_test_limit")
	require.False(t, errors.Is(err, context.Canceled))
	require.Equal(t, digests, tableDigests(t, db.Pool))
	require.Equal(t, catalog, catalogSnapshot(t, db.Pool))
}

func TestRunKeepsSchemaIdentical(t *testing.T) {
	t.Parallel()
	for _, strategy := range []indexStrategy{dropIndexesAndForeignKeys, dropForeignKeys, keepAll} {
		t.Run(strategy.String(), func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t)
			before := catalogSnapshot(t, db.Pool)

			cfg := testConfig()
			cfg.strategy = strategy
			_, err := Run(context.Background(), db.Pool, cfg)
			require.NoError(t, err)

			require.Equal(t, before, catalogSnapshot(t, db.Pool))
		})
	}
}

func TestRunSameDataAnyStrategy(t *testing.T) {
	t.Parallel()
	keep := testConfig()
	keep.strategy = keepAll

	dropAll, _ := seeded(t, testConfig())
	keptAll, _ := seeded(t, keep)

	require.Equal(t, tableDigests(t, dropAll.Pool), tableDigests(t, keptAll.Pool))
}

func TestRunEmailsUniqueAt200kUsers(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Users = 200_000
	cfg.Orders = 1
	cfg.Tokens = 1
	db, _ := seeded(t, cfg)

	require.Equal(t, int64(200_000), queryInt64(t, db.Pool, "SELECT count(DISTINCT email) FROM users"))
	require.Equal(t, int64(200_000), queryInt64(t, db.Pool, "SELECT count(DISTINCT lower(email)) FROM users"))
	// The load rebuilt the unique index over active users, so PostgreSQL itself checked them.
	require.Equal(t, int64(1), queryInt64(t, db.Pool,
		"SELECT count(*) FROM pg_index WHERE indexrelid = 'users_email_active_key'::regclass AND indisunique AND indisvalid"))
}
