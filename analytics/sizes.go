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

// CacheHitRatio is how many block reads of one table and its indexes were served from shared
// buffers since the statistics were last reset.
type CacheHitRatio struct {
	Schema    string `json:"schema"`
	Table     string `json:"table"`
	HeapHit   int64  `json:"heap_hit"`
	HeapRead  int64  `json:"heap_read"`
	IndexHit  int64  `json:"index_hit"`
	IndexRead int64  `json:"index_read"`
}

// HeapRatio returns the fraction of heap block reads served from shared buffers, or -1 when
// the table's heap was never read.
func (c CacheHitRatio) HeapRatio() float64 { return hitRatio(c.HeapHit, c.HeapRead) }

// IndexRatio returns the fraction of index block reads served from shared buffers, or -1
// when no index of the table was read.
func (c CacheHitRatio) IndexRatio() float64 { return hitRatio(c.IndexHit, c.IndexRead) }

func hitRatio(hit, read int64) float64 {
	if hit+read == 0 {
		return -1
	}
	return float64(hit) / float64(hit+read)
}

// CacheHitRatios returns the tables of schema (public when empty), those with the most blocks
// read from outside shared buffers first.
func CacheHitRatios(ctx context.Context, db Querier, schema string) ([]CacheHitRatio, error) {
	if schema == "" {
		schema = "public"
	}
	rows, err := db.Query(ctx, mustSQL("cache_hit_ratios.sql"), pgx.NamedArgs{"schema": schema})
	if err != nil {
		return nil, fmt.Errorf("query cache hit ratios of schema %q: %w", schema, err)
	}
	ratios, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CacheHitRatio])
	if err != nil {
		return nil, fmt.Errorf("read cache hit ratios of schema %q: %w", schema, err)
	}
	return ratios, nil
}
