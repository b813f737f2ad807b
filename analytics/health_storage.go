package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

func checkSequences(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("a sequence that used %.0f%% of its range (or of its column type's) "+
			"warns, %.0f%% fails", 100*cfg.SequenceWarn, 100*cfg.SequenceFail),
		Remedy: "widen the column to bigint (ALTER TABLE ... ALTER COLUMN ... TYPE bigint rewrites " +
			"the table, so plan the downtime or migrate through a new column) and raise the " +
			"sequence's MAXVALUE",
	}
	var (
		name        string
		last, limit int64
		used        float64
	)
	rows, err := db.Query(ctx, mustSQL("check_sequences.sql"), pgx.NamedArgs{"schema": cfg.Schema})
	if err != nil {
		return result, err
	}
	checked := 0
	_, err = pgx.ForEachRow(rows, []any{&name, &last, &limit, &used}, func() error {
		checked++
		status := StatusPass
		switch {
		case used >= cfg.SequenceFail:
			status = StatusFail
		case used >= cfg.SequenceWarn:
			status = StatusWarn
		default:
			return nil
		}
		result.Findings = append(result.Findings, Finding{
			Status: status,
			Object: name,
			Detail: fmt.Sprintf("at %d of %d (%.1f%% used)", last, limit, 100*used),
		})
		return nil
	})
	result.Summary = fmt.Sprintf("%s among %d used sequences",
		countSummary(len(result.Findings), "sequence near its maximum", "sequences near their maximum"), checked)
	return result, err
}

func checkCacheHitRatio(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("fewer than %.1f%% of table or index block reads served from shared "+
			"buffers warns, once there were %d reads", 100*cfg.MinCacheHitRatio, cfg.MinCacheReads),
		Remedy: "raise shared_buffers towards a quarter of the memory, or add memory, so the " +
			"working set fits; after a bulk load or a restart the ratio is low until normal " +
			"traffic dominates (pg_stat_reset() starts a new count)",
	}
	var heapHit, heapRead, indexHit, indexRead int64
	err := db.QueryRow(ctx, mustSQL("check_cache_hit.sql"), pgx.NamedArgs{"schema": cfg.Schema}).
		Scan(&heapHit, &heapRead, &indexHit, &indexRead)
	if err != nil {
		return result, err
	}
	judge := func(kind string, hit, read int64) {
		total := hit + read
		if total < cfg.MinCacheReads {
			return
		}
		ratio := float64(hit) / float64(total)
		if ratio >= cfg.MinCacheHitRatio {
			return
		}
		result.Findings = append(result.Findings, Finding{
			Status: StatusWarn,
			Object: kind,
			Detail: fmt.Sprintf("%.2f%% of %d block reads hit the cache", 100*ratio, total),
		})
	}
	judge("tables", heapHit, heapRead)
	judge("indexes", indexHit, indexRead)
	result.Summary = fmt.Sprintf("tables %s, indexes %s",
		ratioText(heapHit, heapRead, cfg.MinCacheReads), ratioText(indexHit, indexRead, cfg.MinCacheReads))
	return result, nil
}

func ratioText(hit, read, minReads int64) string {
	total := hit + read
	if total < minReads {
		return fmt.Sprintf("not judged (%d block reads)", total)
	}
	return fmt.Sprintf("%.2f%% of %d block reads", 100*float64(hit)/float64(total), total)
}

func checkBloat(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("a table or B-tree index whose estimated waste exceeds %.0f%% of "+
			"its size and %s warns", 100*cfg.MinBloatRatio, formatBytes(cfg.MinBloatBytes)),
		Remedy: "rebuild bloated indexes with REINDEX INDEX CONCURRENTLY; rewrite a bloated table " +
			"with VACUUM FULL (locks it) or pg_repack, and check that autovacuum keeps up with it",
	}
	var (
		kind, name         string
		bytes, wastedBytes int64
		wastedRatio        float64
	)
	rows, err := db.Query(ctx, mustSQL("check_bloat.sql"), pgx.NamedArgs{"schema": cfg.Schema})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows, []any{&kind, &name, &bytes, &wastedBytes, &wastedRatio}, func() error {
		if wastedRatio < cfg.MinBloatRatio || wastedBytes < cfg.MinBloatBytes {
			return nil
		}
		result.Findings = append(result.Findings, Finding{
			Status: StatusWarn,
			Object: name,
			Detail: fmt.Sprintf("%s of %s: about %s (%.0f%%) wasted", kind, formatBytes(bytes),
				formatBytes(wastedBytes), 100*wastedRatio),
		})
		return nil
	})
	result.Summary = countSummary(len(result.Findings), "bloated relation", "bloated relations")
	return result, err
}

func checkVacuum(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("a table whose dead rows, or rows changed since the last analyze "+
			"(all rows, when it was never analyzed), exceed %.0fx the count at which autovacuum "+
			"starts, and that was not vacuumed or analyzed in the last %s, warns",
			cfg.VacuumLag, formatDuration(cfg.VacuumGrace)),
		Remedy: "run VACUUM (ANALYZE) on the table now; if it recurs, lower the table's " +
			"autovacuum_vacuum_scale_factor or raise autovacuum_max_workers, and look for long " +
			"transactions that keep dead rows alive",
	}
	var (
		table                         string
		dead, modified                int64
		vacuumTrigger, analyzeTrigger float64
		lastVacuum, lastAnalyze       *time.Time
	)
	rows, err := db.Query(ctx, mustSQL("check_vacuum.sql"), pgx.NamedArgs{"schema": cfg.Schema})
	if err != nil {
		return result, err
	}
	_, err = pgx.ForEachRow(rows,
		[]any{&table, &dead, &modified, &vacuumTrigger, &analyzeTrigger, &lastVacuum, &lastAnalyze},
		func() error {
			switch {
			case float64(dead) > cfg.VacuumLag*vacuumTrigger && !within(lastVacuum, cfg.VacuumGrace):
				result.Findings = append(result.Findings, Finding{
					Status: StatusWarn,
					Object: table,
					Detail: fmt.Sprintf("%d dead rows, autovacuum starts at %.0f; last vacuum %s: VACUUM (ANALYZE) %s",
						dead, vacuumTrigger, timeOrNever(lastVacuum), table),
				})
			case float64(modified) > cfg.VacuumLag*analyzeTrigger && !within(lastAnalyze, cfg.VacuumGrace):
				result.Findings = append(result.Findings, Finding{
					Status: StatusWarn,
					Object: table,
					Detail: fmt.Sprintf("%d rows changed since the last analyze (%s), autoanalyze starts at %.0f: ANALYZE %s",
						modified, timeOrNever(lastAnalyze), analyzeTrigger, table),
				})
			}
			return nil
		})
	result.Summary = countSummary(len(result.Findings), "table overdue", "tables overdue")
	return result, err
}

// within reports whether t is set and no older than d.
func within(t *time.Time, d time.Duration) bool {
	return t != nil && time.Since(*t) <= d
}

func timeOrNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func checkXIDAge(ctx context.Context, db Querier, cfg CheckConfig) (CheckResult, error) {
	result := CheckResult{
		Threshold: fmt.Sprintf("a database transaction ID age above %d warns, above %d fails "+
			"(PostgreSQL stops writes near 2,147,483,647)", cfg.XIDAgeWarn, cfg.XIDAgeFail),
		Remedy: "run VACUUM (FREEZE) on the tables with the oldest relfrozenxid, and end long " +
			"transactions and abandoned replication slots or prepared transactions that hold it back",
	}
	var age int64
	if err := db.QueryRow(ctx, mustSQL("check_xid_age.sql")).Scan(&age); err != nil {
		return result, err
	}
	result.Summary = fmt.Sprintf("transaction ID age %d", age)
	status := StatusPass
	switch {
	case age > cfg.XIDAgeFail:
		status = StatusFail
	case age > cfg.XIDAgeWarn:
		status = StatusWarn
	}
	if status != StatusPass {
		result.Findings = append(result.Findings, Finding{
			Status: status,
			Object: "database",
			Detail: fmt.Sprintf("%.0f%% of the way to wraparound", 100*float64(age)/2147483647),
		})
	}
	return result, nil
}
