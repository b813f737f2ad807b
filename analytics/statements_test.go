package analytics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/analytics"
	"github.com/forgedb/forge/internal/pgtest"
)

func TestSlowStatementsExtensionNotCreated(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	_, err := analytics.SlowStatements(context.Background(), db.Pool, analytics.StatementParams{})
	require.ErrorIs(t, err, analytics.ErrStatementsUnavailable)
	var statementsErr *analytics.StatementsError
	require.ErrorAs(t, err, &statementsErr)
	require.Equal(t, analytics.StatementsNotCreated, statementsErr.Problem)
	require.Contains(t, statementsErr.Remedy, "CREATE EXTENSION pg_stat_statements")
}

func TestSlowStatementsFindsSlowQuery(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE EXTENSION pg_stat_statements`)
	// A comment with the database name makes this statement's text unique to this test.
	marker := "slow_statement_" + db.Name
	exec(t, db, fmt.Sprintf(`SELECT pg_sleep(0.15) /* %s */`, marker))

	statements, err := analytics.SlowStatements(context.Background(), db.Pool,
		analytics.StatementParams{MinMeanMillis: 100})
	require.NoError(t, err)
	var found *analytics.Statement
	for i := range statements {
		if strings.Contains(statements[i].Query, marker) {
			found = &statements[i]
		}
	}
	require.NotNil(t, found, "statement %s not reported among %d", marker, len(statements))
	require.Equal(t, int64(1), found.Calls)
	require.GreaterOrEqual(t, found.MeanMillis, 150.0)
	require.GreaterOrEqual(t, found.MaxMillis, found.MeanMillis)
}

func TestSlowStatementsSortsByCalls(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE EXTENSION pg_stat_statements`)
	for range 5 {
		exec(t, db, `SELECT count(*) FROM users`)
	}

	statements, err := analytics.SlowStatements(context.Background(), db.Pool,
		analytics.StatementParams{MinMeanMillis: -1, Sort: analytics.SortByCalls, Limit: 50})
	require.NoError(t, err)
	require.NotEmpty(t, statements)
	for i := 1; i < len(statements); i++ {
		require.GreaterOrEqual(t, statements[i-1].Calls, statements[i].Calls, "row %d", i)
	}
}

func TestSlowStatementsNotReadable(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE EXTENSION pg_stat_statements`)
	ctx := context.Background()
	role := "reader_" + db.Name
	exec(t, db, fmt.Sprintf(`CREATE ROLE %s`, role))
	t.Cleanup(func() {
		_, _ = db.Pool.Exec(context.Background(), fmt.Sprintf(`DROP ROLE IF EXISTS %s`, role))
	})

	conn, err := db.Pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, fmt.Sprintf(`SET ROLE %s`, role))
	require.NoError(t, err)
	defer func() {
		_, err := conn.Exec(ctx, `RESET ROLE`)
		require.NoError(t, err)
	}()

	_, err = analytics.SlowStatements(ctx, conn, analytics.StatementParams{})
	var statementsErr *analytics.StatementsError
	require.ErrorAs(t, err, &statementsErr)
	require.Equal(t, analytics.StatementsNotReadable, statementsErr.Problem)
	require.Contains(t, statementsErr.Remedy, "pg_read_all_stats")
}

func TestSlowStatementsRejectsUnknownSort(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE EXTENSION pg_stat_statements`)

	_, err := analytics.SlowStatements(context.Background(), db.Pool, analytics.StatementParams{Sort: "rows"})
	require.ErrorIs(t, err, analytics.ErrInvalidParameter)
}

func TestColumnStatsNegativeDistinct(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE planted (id int, code int)`)
	// id is unique (n_distinct -1) and code has 500 values in a shuffled order.
	exec(t, db, `INSERT INTO planted SELECT g, (g * 7919) % 500 FROM generate_series(1, 5000) g ORDER BY random()`)
	exec(t, db, `ANALYZE planted`)

	stats, err := analytics.ColumnStats(context.Background(), db.Pool, analytics.ColumnStatParams{All: true})
	require.NoError(t, err)
	byColumn := map[string]analytics.ColumnStat{}
	for _, s := range stats {
		if s.Table == "planted" {
			byColumn[s.Column] = s
		}
	}
	id := byColumn["id"]
	require.False(t, id.Missing)
	require.NotNil(t, id.NDistinct)
	require.Less(t, *id.NDistinct, 0.0, "PostgreSQL stores a unique column's n_distinct as a negative fraction")
	require.NotNil(t, id.EstimatedDistinct)
	require.InDelta(t, 5000, *id.EstimatedDistinct, 1)
	code := byColumn["code"]
	require.NotNil(t, code.EstimatedDistinct)
	require.InDelta(t, 500, *code.EstimatedDistinct, 1)
}

func TestColumnStatsReportsMissing(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE "Planted Mixed" (x int)`)

	stats, err := analytics.ColumnStats(context.Background(), db.Pool, analytics.ColumnStatParams{})
	require.NoError(t, err)
	var found bool
	for _, s := range stats {
		if s.Table == "Planted Mixed" && s.Column == "x" {
			found = true
			require.True(t, s.Missing)
			require.Nil(t, s.EstimatedDistinct)
		}
	}
	require.True(t, found, "column without statistics not reported")
}

func TestColumnStatsFiltersByThresholds(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE planted (sorted int, shuffled int, few int)`)
	exec(t, db, `INSERT INTO planted SELECT g, (g * 7919) % 5000, g % 3 FROM generate_series(1, 5000) g`)
	exec(t, db, `ANALYZE planted`)

	stats, err := analytics.ColumnStats(context.Background(), db.Pool, analytics.ColumnStatParams{})
	require.NoError(t, err)
	columns := map[string]bool{}
	for _, s := range stats {
		if s.Table == "planted" {
			columns[s.Column] = true
		}
	}
	require.True(t, columns["shuffled"], "many distinct values, low correlation")
	require.False(t, columns["sorted"], "correlation 1")
	require.False(t, columns["few"], "3 distinct values")
}

func TestTableSizesMixedCaseName(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE "Planted Mixed" (x text)`)
	exec(t, db, `CREATE INDEX ON "Planted Mixed" (x)`)
	exec(t, db, `INSERT INTO "Planted Mixed" SELECT repeat('x', 5000) || g FROM generate_series(1, 100) g`)

	sizes, err := analytics.TableSizes(context.Background(), db.Pool, "")
	require.NoError(t, err)
	var found *analytics.TableSize
	for i := range sizes {
		if sizes[i].Table == "Planted Mixed" {
			found = &sizes[i]
		}
	}
	require.NotNil(t, found)
	require.Positive(t, found.IndexBytes)
	require.Positive(t, found.ToastBytes, "values of 5000 bytes are stored out of line")
	require.Equal(t, found.TableBytes+found.IndexBytes, found.TotalBytes)
	for i := 1; i < len(sizes); i++ {
		require.GreaterOrEqual(t, sizes[i-1].TotalBytes, sizes[i].TotalBytes, "largest first")
	}
}

func TestIndexUsagesMarksKinds(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	usages, err := analytics.IndexUsages(context.Background(), db.Pool, "")
	require.NoError(t, err)
	kinds := map[string]analytics.IndexUsage{}
	for _, u := range usages {
		kinds[u.Index] = u
	}
	require.True(t, kinds["users_pkey"].Primary)
	require.True(t, kinds["auth_tokens_token_hash_key"].Unique)
	require.False(t, kinds["orders_user_id_created_at_idx"].Unique)
	require.True(t, kinds["orders_user_id_created_at_idx"].Valid)
}

func TestCacheHitRatiosCountReads(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedSmall(t, db)
	ctx := context.Background()
	for range 3 {
		exec(t, db, `SELECT count(*) FROM orders`)
	}
	_, err := db.Pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`)
	require.NoError(t, err)

	var orders analytics.CacheHitRatio
	require.Eventually(t, func() bool {
		ratios, err := analytics.CacheHitRatios(ctx, db.Pool, "")
		if err != nil {
			return false
		}
		for _, r := range ratios {
			if r.Table == "orders" {
				orders = r
			}
		}
		return orders.HeapHit > 0
	}, 10*time.Second, 100*time.Millisecond)
	require.Greater(t, orders.HeapRatio(), 0.0)
	require.LessOrEqual(t, orders.HeapRatio(), 1.0)
}
