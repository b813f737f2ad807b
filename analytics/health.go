package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Status is the outcome of a health check. A failure should block a deployment, and a warning
// needs a closer look.
type Status string

// The outcomes of a health check, from best to worst.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

func (s Status) rank() int {
	switch s {
	case StatusFail:
		return 2
	case StatusWarn:
		return 1
	}
	return 0
}

// worse returns the worse of two statuses.
func worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Finding is one object a check found a problem with.
type Finding struct {
	Status Status `json:"status"`
	// Object is the schema-qualified table, index or sequence, or a backend's process id.
	Object string `json:"object"`
	Detail string `json:"detail"`
}

// CheckResult is the outcome of one health check.
type CheckResult struct {
	// Name identifies the check, such as "unused_indexes".
	Name   string `json:"name"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Summary is one line: what was found, or why the check passed.
	Summary string `json:"summary"`
	// Threshold states the rule the check applies.
	Threshold string `json:"threshold"`
	// Remedy is the fix for the findings. It is empty when the check passed.
	Remedy   string    `json:"remedy,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
}

// CheckConfig holds the thresholds of the health checks. DefaultCheckConfig returns the
// documented defaults. Check uses every field as given, except that an empty Schema means
// public.
type CheckConfig struct {
	// Schema is the schema whose tables, indexes and sequences are checked.
	Schema string
	// MinCacheHitRatio warns when fewer block reads than this come from shared buffers.
	MinCacheHitRatio float64
	// MinCacheReads is the number of block reads below which the hit ratio is not judged.
	MinCacheReads int64
	// MinStatsAge is how long the statistics must have been collecting before an index
	// with no scans is reported as unused.
	MinStatsAge time.Duration
	// SequenceWarn and SequenceFail are the fractions of a sequence's range (or of its
	// column type's range, when smaller) used up that warn and fail.
	SequenceWarn, SequenceFail float64
	// LongQueryWarn and LongQueryFail are the ages of a running statement or an open idle
	// transaction that warn and fail.
	LongQueryWarn, LongQueryFail time.Duration
	// LockWaitWarn and LockWaitFail are how long a session waiting for a lock another
	// session holds must have been running to warn and fail.
	LockWaitWarn, LockWaitFail time.Duration
	// MinBloatRatio and MinBloatBytes warn about a table or index whose estimated wasted
	// space exceeds both.
	MinBloatRatio float64
	MinBloatBytes int64
	// VacuumLag warns when a table's dead rows (or rows changed since the last analyze)
	// exceed this multiple of the count at which autovacuum should have started.
	VacuumLag float64
	// VacuumGrace skips a table vacuumed (for dead rows) or analyzed (for changed rows)
	// within this time. A bulk load that runs ANALYZE in its own transaction still counts
	// every row it wrote as changed since that analyze.
	VacuumGrace time.Duration
	// XIDAgeWarn and XIDAgeFail are transaction ID ages of the database that warn and fail.
	// PostgreSQL stops accepting writes near 2^31 (about 2.1 billion).
	XIDAgeWarn, XIDAgeFail int64
	// ConnectionsWarn and ConnectionsFail are fractions of max_connections in use.
	ConnectionsWarn, ConnectionsFail float64
	// SlowStatementMillis and SlowStatementCalls warn about statements whose mean time is
	// at least this many milliseconds over at least this many calls.
	SlowStatementMillis float64
	SlowStatementCalls  int64
	// Logger receives one debug line per check. Nil discards them.
	Logger *slog.Logger
}

// DefaultCheckConfig returns the documented thresholds.
func DefaultCheckConfig() CheckConfig {
	return CheckConfig{
		Schema:              "public",
		MinCacheHitRatio:    0.99,
		MinCacheReads:       1_000_000,
		MinStatsAge:         7 * 24 * time.Hour,
		SequenceWarn:        0.75,
		SequenceFail:        0.90,
		LongQueryWarn:       time.Minute,
		LongQueryFail:       time.Hour,
		LockWaitWarn:        10 * time.Second,
		LockWaitFail:        5 * time.Minute,
		MinBloatRatio:       0.5,
		MinBloatBytes:       100 << 20,
		VacuumLag:           2,
		VacuumGrace:         10 * time.Minute,
		XIDAgeWarn:          1_000_000_000,
		XIDAgeFail:          1_500_000_000,
		ConnectionsWarn:     0.8,
		ConnectionsFail:     0.95,
		SlowStatementMillis: 1000,
		SlowStatementCalls:  10,
	}
}

// check is one health check: its name, title and the function that runs it.
type check struct {
	name, title string
	run         func(context.Context, Querier, CheckConfig) (CheckResult, error)
}

// checks lists every health check in the order they are reported.
var checks = []check{
	{"invalid_indexes", "Invalid indexes", checkInvalidIndexes},
	{"duplicate_indexes", "Duplicate and redundant indexes", checkDuplicateIndexes},
	{"unused_indexes", "Unused indexes", checkUnusedIndexes},
	{"foreign_keys_without_index", "Foreign keys without an index", checkForeignKeys},
	{"sequences", "Sequences near their maximum", checkSequences},
	{"cache_hit_ratio", "Cache hit ratio", checkCacheHitRatio},
	{"bloat", "Estimated table and index bloat", checkBloat},
	{"vacuum", "Tables overdue for vacuum or analyze", checkVacuum},
	{"transaction_id_age", "Transaction ID wraparound", checkXIDAge},
	{"long_running_queries", "Long-running queries and idle transactions", checkLongQueries},
	{"blocking_locks", "Sessions blocked by locks", checkBlockingLocks},
	{"connections", "Connections in use", checkConnections},
	{"slow_statements", "Slow statements", checkSlowStatements},
}

// CheckNames returns the names of every health check in report order.
func CheckNames() []string {
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.name
	}
	return names
}

// Check runs every health check and returns one result per check, in a fixed order. A check
// whose query fails is reported as a warning with the error, so one missing privilege does
// not hide the other results. Check returns an error only when ctx is cancelled.
func Check(ctx context.Context, db Querier, cfg CheckConfig) ([]CheckResult, error) {
	if cfg.Schema == "" {
		cfg.Schema = "public"
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	results := make([]CheckResult, 0, len(checks))
	for _, c := range checks {
		start := time.Now()
		result, err := c.run(ctx, db, cfg)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return results, fmt.Errorf("run health check %s: %w", c.name, ctxErr)
		}
		if err != nil {
			logger.Warn("health check failed to run", "check", c.name, "error", err)
			result = CheckResult{
				Status:  StatusWarn,
				Summary: "the check could not run: " + err.Error(),
				Remedy:  "fix the error above (often a missing privilege) and run the check again",
			}
		}
		result.Name, result.Title = c.name, c.title
		for _, f := range result.Findings {
			result.Status = worse(result.Status, f.Status)
		}
		if result.Status == "" {
			result.Status = StatusPass
		}
		if result.Status == StatusPass {
			result.Remedy = ""
		}
		logger.Debug("health check done", "check", c.name, "status", result.Status,
			"findings", len(result.Findings), "duration", time.Since(start))
		results = append(results, result)
	}
	return results, nil
}

// Overall returns the worst status among results.
func Overall(results []CheckResult) Status {
	status := StatusPass
	for _, r := range results {
		status = worse(status, r.Status)
	}
	return status
}
