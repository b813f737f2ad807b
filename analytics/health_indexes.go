package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

func checkInvalidIndexes(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: "any index left invalid fails",
		Remedy: "an invalid index is left by a failed CREATE INDEX CONCURRENTLY or REINDEX " +
			"CONCURRENTLY; rebuild it with REINDEX INDEX CONCURRENTLY, or drop it with DROP INDEX " +
			"CONCURRENTLY and create it again",
	}
	var name, table string
	var bytes int64
	rows, err := db.Query(ctx, mustSQL("check_invalid_indexes.sql"), pgx.NamedArgs{"schema": cfg.Schema})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows, []any{&name, &table, &bytes}, func() error {
		result.Findings = append(result.Findings, Finding{
			Status: StatusFail,
			Object: name,
			Detail: fmt.Sprintf("invalid index on %s (%s): REINDEX INDEX CONCURRENTLY %s", table, formatBytes(bytes), name),
		})
		return nil
	})
	result.Summary = countSummary(len(result.Findings), "invalid index", "invalid indexes")
	return result, err
}

func checkDuplicateIndexes(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: "an index whose key columns lead another index with the same method, " +
			"operator classes, expressions and predicate fails",
		Remedy: "drop the redundant index with DROP INDEX CONCURRENTLY after checking that no " +
			"query needs its smaller size; the covering index serves the same scans",
	}
	var (
		name, coveredBy, table string
		exact                  bool
		bytes                  int64
	)
	rows, err := db.Query(ctx, mustSQL("check_duplicate_indexes.sql"), pgx.NamedArgs{"schema": cfg.Schema})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows, []any{&name, &coveredBy, &table, &exact, &bytes}, func() error {
		relation := "is covered by"
		if exact {
			relation = "duplicates"
		}
		result.Findings = append(result.Findings, Finding{
			Status: StatusFail,
			Object: name,
			Detail: fmt.Sprintf("%s %s on %s (%s wasted): DROP INDEX CONCURRENTLY %s",
				relation, coveredBy, table, formatBytes(bytes), name),
		})
		return nil
	})
	result.Summary = countSummary(len(result.Findings), "redundant index", "redundant indexes")
	return result, err
}

func checkUnusedIndexes(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("an index other than a primary key, unique index or constraint "+
			"with no scans fails once the statistics have collected for %s", formatDuration(cfg.MinStatsAge)),
		Remedy: "drop indexes no query uses with DROP INDEX CONCURRENTLY; first check replicas " +
			"and rare jobs (monthly reports), whose scans this server does not count",
	}
	var since time.Time
	if err := db.QueryRow(ctx, mustSQL("check_stats_since.sql")).Scan(&since); err != nil {
		return result, err
	}
	since = since.UTC()
	age := time.Since(since)
	if age < cfg.MinStatsAge {
		result.Summary = fmt.Sprintf("not judged: statistics collected only since %s (%s); need %s",
			since.Format(time.RFC3339), formatDuration(age), formatDuration(cfg.MinStatsAge))
		return result, nil
	}

	var (
		name, table string
		bytes       int64
	)
	rows, err := db.Query(ctx, mustSQL("check_unused_indexes.sql"), pgx.NamedArgs{"schema": cfg.Schema})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows, []any{&name, &table, &bytes}, func() error {
		result.Findings = append(result.Findings, Finding{
			Status: StatusFail,
			Object: name,
			Detail: fmt.Sprintf("no scans on %s since %s (%s): DROP INDEX CONCURRENTLY %s",
				table, since.Format(time.RFC3339), formatBytes(bytes), name),
		})
		return nil
	})
	result.Summary = fmt.Sprintf("%s, statistics since %s",
		countSummary(len(result.Findings), "unused index", "unused indexes"), since.Format(time.RFC3339))
	return result, err
}

func checkForeignKeys(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: "a foreign key whose columns do not lead a valid, non-partial index fails",
		Remedy: "create an index on the foreign key columns with CREATE INDEX CONCURRENTLY, so " +
			"deletes and key updates on the referenced table do not scan the referencing table",
	}
	var table, constraint, columns, referenced string
	rows, err := db.Query(ctx, mustSQL("check_foreign_keys.sql"), pgx.NamedArgs{"schema": cfg.Schema})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows, []any{&table, &constraint, &columns, &referenced}, func() error {
		result.Findings = append(result.Findings, Finding{
			Status: StatusFail,
			Object: table,
			Detail: fmt.Sprintf("foreign key %s (%s) to %s has no index: CREATE INDEX CONCURRENTLY ON %s (%s)",
				constraint, columns, referenced, table, columns),
		})
		return nil
	})
	result.Summary = countSummary(len(result.Findings), "foreign key without an index", "foreign keys without an index")
	return result, err
}

func countSummary(n int, singular, plural string) string {
	switch n {
	case 0:
		return "no " + plural
	case 1:
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, plural)
}

// formatBytes formats n with binary units, as pg_size_pretty does.
func formatBytes(n int64) string {
	const unit = 1024
	if n < 10*unit {
		return fmt.Sprintf("%d bytes", n)
	}
	value := float64(n) / unit
	for _, suffix := range []string{"kB", "MB", "GB"} {
		if value < 10*unit {
			return fmt.Sprintf("%.0f %s", value, suffix)
		}
		value /= unit
	}
	return fmt.Sprintf("%.0f TB", value)
}

// formatDuration rounds d to a unit a reader takes in at a glance.
func formatDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.0f days", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	case d >= time.Minute:
		return fmt.Sprintf("%.0f minutes", d.Minutes())
	}
	return d.Round(time.Second).String()
}
