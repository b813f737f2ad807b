package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/analytics"
	"github.com/forgedb/forge/internal/pgtest"
)

// seedSmall inserts a few rows into every table and analyzes them, so the database looks like
// a small, healthy Forge database.
func seedSmall(t *testing.T, db *pgtest.DB) {
	t.Helper()
	fx := seedReport(t, db)
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO auth_tokens (user_id, token_hash, expires_at)
		VALUES ($1, '\x01', now() + interval '1 day'), ($1, '\x02', now() - interval '1 day')`,
		fx.ids["alice"])
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `ANALYZE`)
	require.NoError(t, err)
}

// runCheck runs every health check and returns the result of the one named name.
func runCheck(t *testing.T, db *pgtest.DB, cfg analytics.CheckConfig, name string) analytics.CheckResult {
	t.Helper()
	results, err := analytics.Check(context.Background(), db.Pool, cfg)
	require.NoError(t, err)
	for _, r := range results {
		if r.Name == name {
			return r
		}
	}
	require.Failf(t, "check not found", "no result for check %q", name)
	return analytics.CheckResult{}
}

// findingFor returns the finding about object, or fails the test.
func findingFor(t *testing.T, r analytics.CheckResult, object string) analytics.Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Object == object {
			return f
		}
	}
	require.Failf(t, "finding not found", "check %s has no finding for %s; findings: %+v", r.Name, object, r.Findings)
	return analytics.Finding{}
}

func exec(t *testing.T, db *pgtest.DB, sql string) {
	t.Helper()
	_, err := db.Pool.Exec(context.Background(), sql)
	require.NoError(t, err, sql)
}

func TestCheckCleanDatabasePasses(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedSmall(t, db)

	results, err := analytics.Check(context.Background(), db.Pool, analytics.DefaultCheckConfig())
	require.NoError(t, err)
	require.Len(t, results, len(analytics.CheckNames()))
	for _, r := range results {
		if r.Name == "slow_statements" {
			// The test databases do not create the pg_stat_statements extension.
			require.Equal(t, analytics.StatusWarn, r.Status, "%s: %s", r.Name, r.Summary)
			continue
		}
		require.Equal(t, analytics.StatusPass, r.Status, "%s: %s %+v", r.Name, r.Summary, r.Findings)
		require.Empty(t, r.Remedy, "remedy of passing check %s", r.Name)
	}
	require.Equal(t, analytics.StatusWarn, analytics.Overall(results))
}

func TestCheckIndexChecksQuietWhenStatsYoung(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE INDEX planted_unused_idx ON orders (created_at)`)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "unused_indexes")
	require.Equal(t, analytics.StatusPass, r.Status)
	require.Contains(t, r.Summary, "not judged")
}

func TestCheckFindsUnusedIndex(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE INDEX planted_unused_idx ON orders (created_at)`)
	cfg := analytics.DefaultCheckConfig()
	cfg.MinStatsAge = 0

	r := runCheck(t, db, cfg, "unused_indexes")
	require.Equal(t, analytics.StatusFail, r.Status)
	f := findingFor(t, r, "public.planted_unused_idx")
	require.Contains(t, f.Detail, "DROP INDEX CONCURRENTLY public.planted_unused_idx")
	require.NotEmpty(t, r.Remedy)
	for _, f := range r.Findings {
		require.NotContains(t, f.Object, "pkey", "primary keys are never unused")
		require.NotEqual(t, "public.auth_tokens_token_hash_key", f.Object, "unique indexes are never unused")
	}
}

func TestCheckUsedIndexNotReported(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE INDEX planted_used_idx ON orders (created_at)`)
	ctx := context.Background()

	conn, err := db.Pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, `SET enable_seqscan = off`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `SELECT count(*) FROM orders WHERE created_at > '2024-01-01Z'`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `SELECT pg_stat_force_next_flush()`)
	require.NoError(t, err)

	cfg := analytics.DefaultCheckConfig()
	cfg.MinStatsAge = 0
	// The scan reaches the shared statistics when the scanning session next goes idle.
	require.Eventually(t, func() bool {
		var scans int64
		err := db.Pool.QueryRow(ctx,
			`SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'planted_used_idx'`).Scan(&scans)
		return err == nil && scans > 0
	}, 10*time.Second, 100*time.Millisecond)
	r := runCheck(t, db, cfg, "unused_indexes")
	for _, f := range r.Findings {
		require.NotEqual(t, "public.planted_used_idx", f.Object)
	}
}

func TestCheckFindsRedundantIndex(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE INDEX planted_prefix_idx ON orders (user_id)`)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "duplicate_indexes")
	require.Equal(t, analytics.StatusFail, r.Status)
	f := findingFor(t, r, "planted_prefix_idx")
	require.Contains(t, f.Detail, "is covered by orders_user_id_created_at_idx")
	require.Len(t, r.Findings, 1)
}

func TestCheckFindsExactDuplicateOnce(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE INDEX planted_duplicate_idx ON orders (user_id, created_at DESC)`)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "duplicate_indexes")
	require.Equal(t, analytics.StatusFail, r.Status)
	require.Len(t, r.Findings, 1)
	f := findingFor(t, r, "planted_duplicate_idx")
	require.Contains(t, f.Detail, "duplicates orders_user_id_created_at_idx")
}

func TestCheckDuplicateIgnoresDistinctIndexes(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE UNIQUE INDEX planted_unique_idx ON order_items (id, order_id)`)
	exec(t, db, `CREATE INDEX planted_desc_idx ON orders (user_id DESC)`)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "duplicate_indexes")
	require.Equal(t, analytics.StatusPass, r.Status, "%+v", r.Findings)
}

func TestCheckFindsForeignKeyWithoutIndex(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE reviews (id bigint PRIMARY KEY, product_id bigint NOT NULL REFERENCES products (id))`)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "foreign_keys_without_index")
	require.Equal(t, analytics.StatusFail, r.Status)
	f := findingFor(t, r, "public.reviews")
	require.Contains(t, f.Detail, "CREATE INDEX CONCURRENTLY ON public.reviews (product_id)")
	require.Len(t, r.Findings, 1)
}

func TestCheckFindsInvalidIndex(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE planted (x int)`)
	exec(t, db, `INSERT INTO planted VALUES (1), (1)`)
	// A failed concurrent build leaves the index behind, marked invalid.
	_, err := db.Pool.Exec(context.Background(), `CREATE UNIQUE INDEX CONCURRENTLY planted_x_idx ON planted (x)`)
	require.Error(t, err)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "invalid_indexes")
	require.Equal(t, analytics.StatusFail, r.Status)
	f := findingFor(t, r, "public.planted_x_idx")
	require.Contains(t, f.Detail, "REINDEX INDEX CONCURRENTLY public.planted_x_idx")
}

func TestCheckFindsSequenceNearMaximum(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE planted_fail (id int GENERATED BY DEFAULT AS IDENTITY)`)
	exec(t, db, `SELECT setval(pg_get_serial_sequence('planted_fail', 'id'), 2000000000)`)
	// A bigint sequence feeding an integer column runs out at the column's maximum.
	exec(t, db, `CREATE TABLE planted_warn (id int)`)
	exec(t, db, `CREATE SEQUENCE planted_warn_seq OWNED BY planted_warn.id`)
	exec(t, db, `SELECT setval('planted_warn_seq', 1700000000)`)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "sequences")
	require.Equal(t, analytics.StatusFail, r.Status)
	require.Equal(t, analytics.StatusFail, findingFor(t, r, "public.planted_fail_id_seq").Status)
	require.Equal(t, analytics.StatusWarn, findingFor(t, r, "public.planted_warn_seq").Status)
	require.Len(t, r.Findings, 2)
}

func TestCheckFindsTableNeverAnalyzed(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE planted (x int) WITH (autovacuum_enabled = false)`)
	exec(t, db, `INSERT INTO planted SELECT generate_series(1, 1000)`)
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`)
	require.NoError(t, err)

	var r analytics.CheckResult
	require.Eventually(t, func() bool {
		r = runCheck(t, db, analytics.DefaultCheckConfig(), "vacuum")
		return len(r.Findings) > 0
	}, 10*time.Second, 100*time.Millisecond)
	require.Equal(t, analytics.StatusWarn, r.Status)
	require.Contains(t, findingFor(t, r, "public.planted").Detail, "1000 rows changed since the last analyze (never)")
}

func TestCheckFindsIdleTransaction(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { require.NoError(t, tx.Rollback(ctx)) }()
	_, err = tx.Exec(ctx, `SELECT 1`)
	require.NoError(t, err)

	cfg := analytics.DefaultCheckConfig()
	cfg.LongQueryWarn = time.Millisecond
	var r analytics.CheckResult
	require.Eventually(t, func() bool {
		r = runCheck(t, db, cfg, "long_running_queries")
		return len(r.Findings) > 0
	}, 10*time.Second, 100*time.Millisecond)
	require.Equal(t, analytics.StatusWarn, r.Status)
	require.Contains(t, r.Findings[0].Detail, "idle in transaction")
}

func TestCheckFindsBlockedSession(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	holder, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	_, err = holder.Exec(ctx, `LOCK TABLE products IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)
	waiterDone := make(chan error, 1)
	go func() {
		_, err := db.Pool.Exec(ctx, `SELECT count(*) FROM products`)
		waiterDone <- err
	}()

	cfg := analytics.DefaultCheckConfig()
	cfg.LockWaitWarn = 0
	var r analytics.CheckResult
	require.Eventually(t, func() bool {
		r = runCheck(t, db, cfg, "blocking_locks")
		return len(r.Findings) > 0
	}, 10*time.Second, 100*time.Millisecond)
	require.NoError(t, holder.Rollback(ctx))
	require.NoError(t, <-waiterDone)
	require.Equal(t, analytics.StatusWarn, r.Status)
	require.Contains(t, r.Findings[0].Detail, "blocked by pid")
}

func TestCheckFindsDeadRows(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE planted (x int) WITH (autovacuum_enabled = false)`)
	exec(t, db, `INSERT INTO planted SELECT generate_series(1, 1000)`)
	exec(t, db, `ANALYZE planted`)
	exec(t, db, `DELETE FROM planted`)

	var r analytics.CheckResult
	require.Eventually(t, func() bool {
		r = runCheck(t, db, analytics.DefaultCheckConfig(), "vacuum")
		return len(r.Findings) > 0
	}, 10*time.Second, 100*time.Millisecond)
	require.Equal(t, analytics.StatusWarn, r.Status)
	require.Contains(t, findingFor(t, r, "public.planted").Detail, "1000 dead rows")
}

func TestCheckSkipsFreshAnalyze(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	// As in a bulk load, ANALYZE runs in the transaction that wrote the rows, so every row
	// still counts as changed after it.
	tx, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `CREATE TABLE planted (x int) WITH (autovacuum_enabled = false)`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO planted SELECT generate_series(1, 1000)`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `ANALYZE planted`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.Eventually(t, func() bool {
		var modified int64
		err := db.Pool.QueryRow(ctx,
			`SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'planted'`).Scan(&modified)
		return err == nil && modified == 1000
	}, 10*time.Second, 100*time.Millisecond)

	r := runCheck(t, db, analytics.DefaultCheckConfig(), "vacuum")
	require.Equal(t, analytics.StatusPass, r.Status, "%+v", r.Findings)
}
