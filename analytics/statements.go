package analytics

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// StatementSort orders the statement report.
type StatementSort string

// The orders of the statement report.
const (
	// SortByMeanTime lists the slowest statements per call first.
	SortByMeanTime StatementSort = "mean"
	// SortByTotalTime lists the statements that took the most time in all first.
	SortByTotalTime StatementSort = "total"
	// SortByCalls lists the most-called statements first.
	SortByCalls StatementSort = "calls"
)

// StatementParams selects statements from pg_stat_statements. The zero value lists the 20
// statements of the current database whose mean execution time is at least 100 ms.
type StatementParams struct {
	// MinMeanMillis keeps statements whose mean execution time is at least this many
	// milliseconds. Zero means 100; a negative value keeps every statement.
	MinMeanMillis float64
	// MinCalls keeps statements called at least this many times. Zero keeps all.
	MinCalls int64
	// Sort orders the rows. Empty means SortByMeanTime.
	Sort StatementSort
	// Limit is the number of rows: 0 means 20.
	Limit int
	// AllDatabases includes statements run in other databases of the server.
	AllDatabases bool
}

// Statement is one normalized statement's execution totals. Times are in milliseconds.
type Statement struct {
	QueryID        int64   `json:"query_id"`
	Query          string  `json:"query"`
	Calls          int64   `json:"calls"`
	TotalMillis    float64 `json:"total_ms"`
	MeanMillis     float64 `json:"mean_ms"`
	MaxMillis      float64 `json:"max_ms"`
	Rows           int64   `json:"rows"`
	SharedBlksHit  int64   `json:"shared_blks_hit"`
	SharedBlksRead int64   `json:"shared_blks_read"`
	// BlockIOMillis is the time spent reading and writing blocks, which is zero unless
	// track_io_timing is on.
	BlockIOMillis float64 `json:"block_io_ms"`
}

// StatementsProblem is the reason pg_stat_statements cannot be read.
type StatementsProblem string

// The problems that keep the statement report from running.
const (
	StatementsNotInstalled  StatementsProblem = "not installed on the server"
	StatementsNotCreated    StatementsProblem = "not created in this database"
	StatementsNotPreloaded  StatementsProblem = "not in shared_preload_libraries"
	StatementsNotReadable   StatementsProblem = "not readable by the current role"
	StatementsMissingColumn StatementsProblem = "missing a column this report reads"
)

// StatementsError reports that pg_stat_statements is unusable and how to fix it.
type StatementsError struct {
	Problem StatementsProblem
	Remedy  string
	Err     error
}

func (e *StatementsError) Error() string {
	msg := "pg_stat_statements extension is " + string(e.Problem)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "; " + e.Remedy
}

func (e *StatementsError) Unwrap() error { return e.Err }

// ErrStatementsUnavailable is matched by every *StatementsError with errors.Is.
var ErrStatementsUnavailable = errors.New("pg_stat_statements unavailable")

// Is lets errors.Is(err, ErrStatementsUnavailable) match any StatementsError.
func (e *StatementsError) Is(target error) bool { return target == ErrStatementsUnavailable }

// statementColumns maps each value the report reads to the view's column for it. The time
// columns were renamed in version 1.8 of the extension (PostgreSQL 13) and the block timing
// columns in 1.11 (PostgreSQL 17), so both spellings are tried, newest first.
var statementColumns = []struct {
	value      string
	candidates []string
}{
	{"total", []string{"total_exec_time", "total_time"}},
	{"mean", []string{"mean_exec_time", "mean_time"}},
	{"max", []string{"max_exec_time", "max_time"}},
	{"read_time", []string{"shared_blk_read_time", "blk_read_time"}},
	{"write_time", []string{"shared_blk_write_time", "blk_write_time"}},
}

// SlowStatements returns the statements recorded by pg_stat_statements that pass the
// thresholds in p. It reads the view's columns first, so it works with the extension of
// PostgreSQL 13 through 17, and returns a *StatementsError with a remedy when the extension
// is missing, not preloaded or not readable by the current role.
func SlowStatements(ctx context.Context, db Querier, p StatementParams) ([]Statement, error) {
	view, err := findStatementsView(ctx, db)
	if err != nil {
		return nil, err
	}
	query, args, err := buildStatementsQuery(view, p)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, query, args)
	if err != nil {
		return nil, classifyStatementsError(err)
	}
	statements, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Statement])
	if err != nil {
		return nil, classifyStatementsError(err)
	}
	return statements, nil
}

// statementsView is the installed view and the spelling of each column the report reads.
type statementsView struct {
	name    string // schema-qualified and quoted
	columns map[string]string
}

func findStatementsView(ctx context.Context, db Querier) (statementsView, error) {
	var (
		available, created, readable bool
		preloaded                    *bool
		schema                       *string
		columns                      []string
	)
	err := db.QueryRow(ctx, mustSQL("statements_setup.sql")).
		Scan(&available, &created, &schema, &preloaded, &readable, &columns)
	if err != nil {
		return statementsView{}, fmt.Errorf("inspect pg_stat_statements: %w", err)
	}
	switch {
	case !available:
		return statementsView{}, &StatementsError{Problem: StatementsNotInstalled,
			Remedy: "install the PostgreSQL contrib package on the server (Debian and Ubuntu: " +
				"postgresql-contrib; it ships with the server package from version 10), then run " +
				"CREATE EXTENSION pg_stat_statements"}
	case !created:
		return statementsView{}, &StatementsError{Problem: StatementsNotCreated,
			Remedy: "run CREATE EXTENSION pg_stat_statements in this database as a superuser"}
	case preloaded != nil && !*preloaded:
		return statementsView{}, &StatementsError{Problem: StatementsNotPreloaded,
			Remedy: "add pg_stat_statements to shared_preload_libraries in postgresql.conf " +
				"and restart the server"}
	case !readable:
		return statementsView{}, &StatementsError{Problem: StatementsNotReadable,
			Remedy: "grant the role read access: GRANT pg_read_all_stats TO <role> " +
				"(without it, other roles' statements show no text)"}
	}

	resolved, err := resolveStatementColumns(columns)
	if err != nil {
		return statementsView{}, err
	}
	return statementsView{
		name:    pgx.Identifier{*schema, "pg_stat_statements"}.Sanitize(),
		columns: resolved,
	}, nil
}

// resolveStatementColumns maps each value the report reads to the first of its candidate
// columns that the installed view has.
func resolveStatementColumns(present []string) (map[string]string, error) {
	has := map[string]bool{}
	for _, c := range present {
		has[c] = true
	}
	resolved := map[string]string{}
	for _, col := range statementColumns {
		for _, candidate := range col.candidates {
			if has[candidate] {
				resolved[col.value] = candidate
				break
			}
		}
		if resolved[col.value] == "" {
			return nil, &StatementsError{Problem: StatementsMissingColumn,
				Remedy: fmt.Sprintf("the view has none of the columns %s; upgrade the extension "+
					"with ALTER EXTENSION pg_stat_statements UPDATE",
					strings.Join(col.candidates, ", "))}
		}
	}
	return resolved, nil
}

func buildStatementsQuery(view statementsView, p StatementParams) (string, pgx.NamedArgs, error) {
	minMean := p.MinMeanMillis
	if minMean == 0 {
		minMean = 100
	}
	limit := p.Limit
	if limit == 0 {
		limit = 20
	}
	if limit < 0 {
		return "", nil, fmt.Errorf("%w: statement limit %d is negative", ErrInvalidParameter, limit)
	}
	if p.MinCalls < 0 {
		return "", nil, fmt.Errorf("%w: minimum calls %d is negative", ErrInvalidParameter, p.MinCalls)
	}
	order := map[StatementSort]string{
		"":              "mean",
		SortByMeanTime:  "mean",
		SortByTotalTime: "total",
		SortByCalls:     "calls",
	}[p.Sort]
	if order == "" {
		return "", nil, fmt.Errorf("%w: sort %q is not one of mean, total, calls", ErrInvalidParameter, p.Sort)
	}

	column := func(value string) string { return pgx.Identifier{view.columns[value]}.Sanitize() }
	data := map[string]any{
		"View":         view.name,
		"Total":        column("total"),
		"Mean":         column("mean"),
		"Max":          column("max"),
		"ReadTime":     column("read_time"),
		"WriteTime":    column("write_time"),
		"OrderBy":      order,
		"AllDatabases": p.AllDatabases,
	}
	args := pgx.NamedArgs{"min_mean": minMean, "min_calls": p.MinCalls, "limit": limit}
	return renderSQL("statements.sql", data), args, nil
}

// classifyStatementsError turns the server's complaint about a library that was not preloaded
// into a StatementsError with the remedy. The view raises SQLSTATE 55000 in that case.
func classifyStatementsError(err error) error {
	if strings.Contains(err.Error(), "shared_preload_libraries") {
		return &StatementsError{Problem: StatementsNotPreloaded, Err: err,
			Remedy: "add pg_stat_statements to shared_preload_libraries in postgresql.conf " +
				"and restart the server"}
	}
	return fmt.Errorf("read pg_stat_statements: %w", err)
}
