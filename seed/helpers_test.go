package seed

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
)

// testConfig is a small data set: enough rows for distribution checks, quick to load.
func testConfig() Config {
	return Config{Seed: DefaultSeed, Users: 2_000, Workers: 2}
}

// seeded returns a fresh migrated database seeded with cfg.
func seeded(t *testing.T, cfg Config) (*pgtest.DB, *Report) {
	t.Helper()
	db := pgtest.New(t)
	report, err := Run(context.Background(), db.Pool, cfg)
	require.NoError(t, err)
	return db, report
}

// loadedTables are the tables a seed writes: the data tables and customer_stats.
var loadedTables = append(slices.Clip(DataTables), TableCustomerStats)

// tableDigests returns, per loaded table, the MD5 of its rows as text in key order, computed
// by PostgreSQL, so the comparison does not depend on the seeder's own checksum.
func tableDigests(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	digests := map[string]string{}
	for _, table := range loadedTables {
		key := "id"
		if table == TableCustomerStats {
			key = "user_id"
		}
		var digest string
		q := fmt.Sprintf("SELECT coalesce(md5(string_agg(t::text, E'\\n' ORDER BY %s)), '') FROM %s t", key, table)
		require.NoError(t, pool.QueryRow(context.Background(), q).Scan(&digest))
		digests[table] = digest
	}
	return digests
}

// queryInt64 runs a query that returns one integer.
func queryInt64(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}

// queryFloat64 runs a query that returns one number.
func queryFloat64(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) float64 {
	t.Helper()
	var f float64
	require.NoError(t, pool.QueryRow(context.Background(), sql, args...).Scan(&f), sql)
	return f
}

// catalogSnapshot describes the loaded tables' columns, constraints and indexes as the catalog
// stores them, without OIDs, so two snapshots are equal exactly when the schemas are.
func catalogSnapshot(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	const q = `
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text
       || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relname = ANY($1) AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || t.relname || '.' || c.conname || ' ' || pg_get_constraintdef(c.oid)
       || ' validated=' || c.convalidated || ' deferrable=' || c.condeferrable
       || ' comment=' || coalesce(obj_description(c.oid, 'pg_constraint'), '')
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
WHERE t.relname = ANY($1)
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid
       || ' ready=' || i.indisready || ' primary=' || i.indisprimary
       || ' clustered=' || i.indisclustered
       || ' comment=' || coalesce(obj_description(i.indexrelid, 'pg_class'), '')
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = ANY($1)
UNION ALL
SELECT 'trigger ' || t.relname || ' ' || pg_get_triggerdef(g.oid) || ' enabled=' || g.tgenabled::text
FROM pg_trigger g
JOIN pg_class t ON t.oid = g.tgrelid
WHERE t.relname = ANY($1) AND NOT g.tgisinternal
UNION ALL
SELECT 'sequence ' || s.seqrelid::regclass::text || ' ' || format_type(s.seqtypid, NULL)
       || ' start=' || s.seqstart || ' increment=' || s.seqincrement
FROM pg_sequence s
JOIN pg_depend dep ON dep.objid = s.seqrelid AND dep.deptype = 'i'
JOIN pg_class t ON t.oid = dep.refobjid
WHERE t.relname = ANY($1)
ORDER BY 1`
	rows, err := pool.Query(context.Background(), q, loadedTables)
	require.NoError(t, err)
	defer rows.Close()
	var snapshot []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		snapshot = append(snapshot, line)
	}
	require.NoError(t, rows.Err())
	return snapshot
}
