package analytics

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// TableSize is the disk space of one table. Bytes are as reported by pg_table_size and
// pg_indexes_size.
type TableSize struct {
	Schema string `json:"schema"`
	Table  string `json:"table"`
	// RowEstimate is pg_class.reltuples, or -1 when the table was never vacuumed or analyzed.
	RowEstimate float64 `json:"row_estimate"`
	// TableBytes covers the heap, its TOAST table and its free space and visibility maps.
	TableBytes int64 `json:"table_bytes"`
	// ToastBytes is the part of TableBytes outside the heap's main fork.
	ToastBytes int64 `json:"toast_bytes"`
	IndexBytes int64 `json:"index_bytes"`
	TotalBytes int64 `json:"total_bytes"`
}

// TableSizes returns the tables of schema (public when empty), largest first.
func TableSizes(ctx context.Context, db Querier, schema string) ([]TableSize, error) {
	if schema == "" {
		schema = "public"
	}
	rows, err := db.Query(ctx, mustSQL("table_sizes.sql"), pgx.NamedArgs{"schema": schema})
	if err != nil {
		return nil, fmt.Errorf("query table sizes of schema %q: %w", schema, err)
	}
	sizes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TableSize])
	if err != nil {
		return nil, fmt.Errorf("read table sizes of schema %q: %w", schema, err)
	}
	return sizes, nil
}

// IndexUsage is the size and use of one index since the statistics were last reset.
type IndexUsage struct {
	Schema  string `json:"schema"`
	Table   string `json:"table"`
	Index   string `json:"index"`
	Bytes   int64  `json:"bytes"`
	Scans   int64  `json:"scans"`
	Primary bool   `json:"primary"`
	Unique  bool   `json:"unique"`
	Valid   bool   `json:"valid"`
	// Definition is the CREATE INDEX statement from pg_get_indexdef.
	Definition string `json:"definition"`
}

// IndexUsages returns the indexes of schema (public when empty), largest first.
func IndexUsages(ctx context.Context, db Querier, schema string) ([]IndexUsage, error) {
	if schema == "" {
		schema = "public"
	}
	rows, err := db.Query(ctx, mustSQL("index_usage.sql"), pgx.NamedArgs{"schema": schema})
	if err != nil {
		return nil, fmt.Errorf("query index usage of schema %q: %w", schema, err)
	}
	usages, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IndexUsage])
	if err != nil {
		return nil, fmt.Errorf("read index usage of schema %q: %w", schema, err)
	}
	return usages, nil
}
