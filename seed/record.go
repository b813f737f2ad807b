package seed

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/jackc/pgx/v5"
)

// RunsTable stores one row per committed seed, so a report can name the data it ran on. The
// seed writes its row in the same transaction as the data.
const RunsTable = "seed_runs"

const insertRun = `
INSERT INTO seed_runs (seed, scale, reference_time, users, products, orders, order_items,
    auth_tokens, checksum, format_version, forge_version, gofakeit_version, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

// recordRun inserts the report into seed_runs. A database whose migrations predate that
// table is seeded all the same, without the record.
func recordRun(ctx context.Context, tx pgx.Tx, r *Report) error {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", RunsTable).Scan(&exists); err != nil {
		return fmt.Errorf("look up table %s: %w", RunsTable, err)
	}
	if !exists {
		return nil
	}
	forge, gofakeit := versions()
	c := r.Counts
	elapsed := r.Durations.Prepare + r.Durations.Load + r.Durations.Indexes
	_, err := tx.Exec(ctx, insertRun, r.Seed, r.Scale, r.ReferenceTime, c.Users, c.Products, c.Orders,
		c.OrderItems, c.Tokens, r.Checksum, FormatVersion, forge, gofakeit, elapsed.Milliseconds())
	if err != nil {
		return fmt.Errorf("record the seed in %s: %w", RunsTable, err)
	}
	// Without statistics, the column statistics report lists every column of the new row as
	// missing, and autovacuum analyzes a table only after 50 changed rows.
	if _, err := tx.Exec(ctx, "ANALYZE "+RunsTable); err != nil {
		return fmt.Errorf("analyze %s: %w", RunsTable, err)
	}
	return nil
}

// versions returns the module versions of Forge and gofakeit from the build information,
// "(devel)" for a build from a working tree, or "unknown" when the binary carries none.
func versions() (forge, gofakeit string) {
	forge, gofakeit = "unknown", "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return forge, gofakeit
	}
	if info.Main.Path == "github.com/forgedb/forge" {
		forge = info.Main.Version
	}
	for _, dep := range info.Deps {
		switch dep.Path {
		case "github.com/forgedb/forge":
			forge = dep.Version
		case "github.com/brianvoe/gofakeit/v6":
			gofakeit = dep.Version
		}
	}
	return forge, gofakeit
}
