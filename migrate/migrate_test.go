package migrate_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

func embeddedVersions(t *testing.T) []string {
	t.Helper()
	src, err := migrate.Embedded()
	require.NoError(t, err)
	files, err := src.Files()
	require.NoError(t, err)
	var versions []string
	for _, f := range files {
		versions = append(versions, f.Version())
	}
	return versions
}

func TestUpFromEmptyAppliesEveryFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)

	res, err := m.Up(ctx)
	require.NoError(t, err)
	versions := embeddedVersions(t)
	require.Len(t, res.Applied, len(versions))
	for i, ap := range res.Applied {
		require.Equal(t, versions[i], ap.Version)
	}

	var tables []string
	rows, err := db.Pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	require.Subset(t, tables, []string{"auth_tokens", "order_items", "orders", "products", "users"})
}

func TestUpTwiceAppliesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)

	res, err := m.Up(ctx)
	require.NoError(t, err)
	require.Empty(t, res.Applied)
}

func TestStatusListsAppliedAndPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)

	st, err := m.Status(ctx)
	require.NoError(t, err)
	versions := embeddedVersions(t)
	require.Len(t, st, len(versions))
	for _, s := range st {
		require.Equal(t, migrate.StatePending, s.State, s.Version)
	}

	_, err = m.UpWith(ctx, migrate.UpOptions{Steps: 1})
	require.NoError(t, err)
	st, err = m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateApplied, st[0].State)
	require.False(t, st[0].ExecutedAt.IsZero())
	require.Equal(t, st[0].Total, st[0].Applied)
	require.Equal(t, migrate.StatePending, st[1].State)
}

func TestConcurrentUpAppliesEachFileOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)

	const runners = 8
	var wg sync.WaitGroup
	applied := make([]int, runners)
	errs := make([]error, runners)
	for i := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, db.URL)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			m, err := migrate.New(pool, nil)
			if err != nil {
				errs[i] = err
				return
			}
			res, err := m.Up(ctx)
			if err == nil {
				applied[i] = len(res.Applied)
			}
			errs[i] = err
		}()
	}
	wg.Wait()

	total := 0
	for i := range runners {
		require.NoError(t, errs[i], "runner %d", i)
		total += applied[i]
	}
	require.Equal(t, len(embeddedVersions(t)), total)
	var rows int
	require.NoError(t, db.Pool.QueryRow(ctx,
		`SELECT count(*) FROM atlas_schema_revisions.atlas_schema_revisions`).Scan(&rows))
	require.Equal(t, len(embeddedVersions(t)), rows)
}

func TestUpRefusesTablesWithoutHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	_, err := db.Pool.Exec(ctx, `CREATE TABLE legacy (id int)`)
	require.NoError(t, err)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)

	_, err = m.Up(ctx)
	require.ErrorIs(t, err, migrate.ErrNotClean)
	require.ErrorContains(t, err, `"legacy"`)
}
