package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// ColumnStatParams selects columns from the planner statistics in pg_stats. The zero value
// lists the columns of schema public with at least 100 distinct values and a correlation
// between -0.1 and 0.1, plus every column that has no statistics.
type ColumnStatParams struct {
	// Schema is the schema to inspect. Empty means public.
	Schema string
	// MinDistinct keeps columns with at least this many estimated distinct values. Zero
	// means 100.
	MinDistinct float64
	// MaxCorrelation keeps columns whose correlation lies within ±MaxCorrelation, that is
	// whose physical order barely follows their sort order. Zero means 0.1.
	MaxCorrelation float64
	// All lists every column, ignoring both thresholds.
	All bool
}

// ColumnStat is the planner's statistics for one column.
type ColumnStat struct {
	Schema string `json:"schema"`
	Table  string `json:"table"`
	Column string `json:"column"`
	// Missing is true when pg_stats has no row for the column: the table was never analyzed,
	// is empty, or is not readable by the current role.
	Missing bool `json:"missing"`
	// NDistinct is pg_stats.n_distinct as stored: a count when positive, minus the fraction
	// of rows that are distinct when negative.
	NDistinct *float64 `json:"n_distinct"`
	// EstimatedDistinct is the estimated number of distinct values: n_distinct itself, or
	// the fraction times the table's row estimate.
	EstimatedDistinct *float64 `json:"estimated_distinct"`
	NullFraction      *float64 `json:"null_fraction"`
	Correlation       *float64 `json:"correlation"`
	// RowEstimate is pg_class.reltuples, or -1 when the table was never vacuumed or analyzed.
	RowEstimate    float64    `json:"row_estimate"`
	LastAnalyzedAt *time.Time `json:"last_analyzed_at"`
}

// ColumnStats returns the columns whose statistics pass the thresholds in p, the most
// distinct first, after every column with no statistics.
func ColumnStats(ctx context.Context, db Querier, p ColumnStatParams) ([]ColumnStat, error) {
	schema := p.Schema
	if schema == "" {
		schema = "public"
	}
	minDistinct := p.MinDistinct
	if minDistinct == 0 {
		minDistinct = 100
	}
	maxCorrelation := p.MaxCorrelation
	if maxCorrelation == 0 {
		maxCorrelation = 0.1
	}
	args := pgx.NamedArgs{
		"schema":          schema,
		"min_distinct":    minDistinct,
		"max_correlation": maxCorrelation,
		"all":             p.All,
	}
	rows, err := db.Query(ctx, mustSQL("column_stats.sql"), args)
	if err != nil {
		return nil, fmt.Errorf("query column statistics of schema %q: %w", schema, err)
	}
	stats, err := pgx.CollectRows(rows, scanColumnStat)
	if err != nil {
		return nil, fmt.Errorf("read column statistics of schema %q: %w", schema, err)
	}
	return stats, nil
}

func scanColumnStat(row pgx.CollectableRow) (ColumnStat, error) {
	var (
		s        ColumnStat
		analyzed pgtype.Timestamptz
	)
	err := row.Scan(&s.Schema, &s.Table, &s.Column, &s.Missing, &s.NDistinct, &s.EstimatedDistinct,
		&s.NullFraction, &s.Correlation, &s.RowEstimate, &analyzed)
	s.LastAnalyzedAt = utcTime(analyzed)
	return s, err
}
