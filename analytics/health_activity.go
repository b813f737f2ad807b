package analytics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func checkLongQueries(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("a statement running, or a transaction idle, for %s warns and for %s fails",
			formatDuration(cfg.LongQueryWarn), formatDuration(cfg.LongQueryFail)),
		Remedy: "look at the statement with EXPLAIN; end a stuck session with " +
			"SELECT pg_cancel_backend(pid) (statement) or pg_terminate_backend(pid) (session), " +
			"and set idle_in_transaction_session_timeout",
	}
	var (
		pid          int32
		state, query string
		seconds      float64
	)
	rows, err := db.Query(ctx, mustSQL("check_long_queries.sql"),
		pgx.NamedArgs{"min_seconds": cfg.LongQueryWarn.Seconds()})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows, []any{&pid, &state, &seconds, &query}, func() error {
		status := StatusWarn
		if seconds >= cfg.LongQueryFail.Seconds() {
			status = StatusFail
		}
		result.Findings = append(result.Findings, Finding{
			Status: status,
			Object: fmt.Sprintf("pid %d", pid),
			Detail: fmt.Sprintf("%s for %s: %s", state, formatDuration(time.Duration(seconds*float64(time.Second))),
				oneLine(query)),
		})
		return nil
	})
	result.Summary = countSummary(len(result.Findings), "long-running session", "long-running sessions")
	return result, err
}

func checkBlockingLocks(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("a statement waiting for another session's lock for %s warns and for %s fails",
			formatDuration(cfg.LockWaitWarn), formatDuration(cfg.LockWaitFail)),
		Remedy: "find what the blocking session is doing (pg_stat_activity for its pid) and end " +
			"it with pg_terminate_backend(pid) if it is stuck; keep transactions that take " +
			"locks short, and set lock_timeout for DDL",
	}
	var (
		pid       int32
		blockedBy []int32
		seconds   float64
		query     string
	)
	rows, err := db.Query(ctx, mustSQL("check_blocking.sql"),
		pgx.NamedArgs{"min_seconds": cfg.LockWaitWarn.Seconds()})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows, []any{&pid, &blockedBy, &seconds, &query}, func() error {
		status := StatusWarn
		if seconds >= cfg.LockWaitFail.Seconds() {
			status = StatusFail
		}
		blockers := make([]string, len(blockedBy))
		for i, b := range blockedBy {
			blockers[i] = fmt.Sprint(b)
		}
		result.Findings = append(result.Findings, Finding{
			Status: status,
			Object: fmt.Sprintf("pid %d", pid),
			Detail: fmt.Sprintf("blocked by pid %s for up to %s: %s", strings.Join(blockers, ", "),
				formatDuration(time.Duration(seconds*float64(time.Second))), oneLine(query)),
		})
		return nil
	})
	result.Summary = countSummary(len(result.Findings), "blocked session", "blocked sessions")
	return result, err
}

func checkConnections(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("%.0f%% of the connections available to ordinary roles in use warns, %.0f%% fails",
			100*cfg.ConnectionsWarn, 100*cfg.ConnectionsFail),
		Remedy: "put a connection pooler such as PgBouncer in front of the server, lower the " +
			"pool sizes of the applications, or raise max_connections (needs a restart)",
	}
	var used, available int64
	if err := db.QueryRow(ctx, mustSQL("check_connections.sql")).Scan(&used, &available); err != nil {
		return result, err
	}
	ratio := float64(used) / float64(max(available, 1))
	result.Summary = fmt.Sprintf("%d of %d connections in use", used, available)
	status := StatusPass
	switch {
	case ratio >= cfg.ConnectionsFail:
		status = StatusFail
	case ratio >= cfg.ConnectionsWarn:
		status = StatusWarn
	}
	if status != StatusPass {
		result.Findings = append(result.Findings, Finding{
			Status: status,
			Object: "server",
			Detail: fmt.Sprintf("%.0f%% of the connections in use", 100*ratio),
		})
	}
	return result, nil
}

func checkSlowStatements(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("a statement of this database with a mean time of %.0f ms or more "+
			"over %d calls or more warns; so does pg_stat_statements being unavailable",
			cfg.SlowStatementMillis, cfg.SlowStatementCalls),
		Remedy: "run EXPLAIN (ANALYZE, BUFFERS) on each statement listed and add the index or " +
			"rewrite it serves; forge analytics slow-queries lists them in full",
	}
	statements, err := SlowStatements(ctx, db, StatementParams{
		MinMeanMillis: cfg.SlowStatementMillis,
		MinCalls:      cfg.SlowStatementCalls,
		Limit:         10,
	})
	var unavailable *StatementsError
	if errors.As(err, &unavailable) {
		result.Summary = "pg_stat_statements extension is " + string(unavailable.Problem)
		result.Remedy = unavailable.Remedy
		result.Findings = []Finding{{Status: StatusWarn, Object: "pg_stat_statements",
			Detail: "extension " + string(unavailable.Problem)}}
		return result, nil
	}
	if err != nil {
		return result, err
	}
	for _, s := range statements {
		result.Findings = append(result.Findings, Finding{
			Status: StatusWarn,
			Object: fmt.Sprintf("query %d", s.QueryID),
			Detail: fmt.Sprintf("mean %.0f ms over %d calls: %s", s.MeanMillis, s.Calls, oneLine(s.Query)),
		})
	}
	result.Summary = countSummary(len(result.Findings), "slow statement", "slow statements")
	return result, nil
}

// oneLine collapses whitespace and cuts s to 120 runes, for statements inside a finding.
func oneLine(s string) string {
	line := strings.Join(strings.Fields(s), " ")
	if runes := []rune(line); len(runes) > 120 {
		line = string(runes[:119]) + "…"
	}
	return line
}
