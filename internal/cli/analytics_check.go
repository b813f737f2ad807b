package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/forgedb/forge/analytics"
)

func (a *app) newCheckCommand() *cobra.Command {
	cfg := analytics.DefaultCheckConfig()
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run every database health check; exit 2 when one fails",
		Long: "Run every database health check (invalid, duplicate and unused indexes, foreign " +
			"keys without an index, sequences near their maximum, cache hit ratio, bloat, " +
			"vacuum and analyze, transaction ID age, long-running queries, blocking locks, " +
			"connections, slow statements) and print pass, warn or fail for each, with the " +
			"remedy. The command exits with code 2 when a check fails, so it can gate CI or a " +
			"deployment; warnings do not change the exit code.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			cfg.Logger = a.logger
			results, err := analytics.Check(cmd.Context(), pool, cfg)
			if err != nil {
				return err
			}
			if err := a.printChecks(format, results); err != nil {
				return err
			}
			if failed := countStatus(results, analytics.StatusFail); failed > 0 {
				return &exitError{code: 2, err: fmt.Errorf("%d of %d health checks failed", failed, len(results))}
			}
			return nil
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&cfg.Schema, "schema", cfg.Schema, "schema whose tables, indexes and sequences are checked")
	flags.DurationVar(&cfg.MinStatsAge, "min-stats-age", cfg.MinStatsAge,
		"how long the statistics must have collected before an index with no scans counts as unused")
	flags.Float64Var(&cfg.SequenceFail, "sequence-fail", cfg.SequenceFail,
		"fraction of a sequence's range used that fails")
	flags.DurationVar(&cfg.LongQueryWarn, "long-query-warn", cfg.LongQueryWarn,
		"age of a running statement or idle transaction that warns")
	flags.Float64Var(&cfg.SlowStatementMillis, "slow-statement-ms", cfg.SlowStatementMillis,
		"mean time in milliseconds from which a statement counts as slow")
	return cmd
}

func countStatus(results []analytics.CheckResult, status analytics.Status) int {
	n := 0
	for _, r := range results {
		if r.Status == status {
			n++
		}
	}
	return n
}

// checkReport is the JSON form of forge analytics check.
type checkReport struct {
	Status analytics.Status        `json:"status"`
	Checks []analytics.CheckResult `json:"checks"`
}

func (a *app) printChecks(format string, results []analytics.CheckResult) error {
	switch format {
	case formatJSON:
		return render(a.stdout, format, checkReport{Status: analytics.Overall(results), Checks: results}, grid{})
	case formatCSV:
		return writeCSV(a.stdout, checkFindingGrid(results))
	}
	return printCheckTable(a.stdout, results)
}

// checkFindingGrid has one row per finding, and one row for each check without findings.
func checkFindingGrid(results []analytics.CheckResult) grid {
	g := grid{headers: []string{"check", "status", "object", "detail", "summary", "remedy"}}
	for _, r := range results {
		if len(r.Findings) == 0 {
			g.rows = append(g.rows, []cell{textCell(r.Name), textCell(string(r.Status)), {}, {},
				textCell(r.Summary), textCell(r.Remedy)})
		}
		for _, f := range r.Findings {
			g.rows = append(g.rows, []cell{textCell(r.Name), textCell(string(f.Status)), textCell(f.Object),
				textCell(f.Detail), textCell(r.Summary), textCell(r.Remedy)})
		}
	}
	return g
}

func printCheckTable(w io.Writer, results []analytics.CheckResult) error {
	g := grid{headers: []string{"STATUS", "CHECK", "SUMMARY"}}
	for _, r := range results {
		g.rows = append(g.rows, []cell{textCell(strings.ToUpper(string(r.Status))), textCell(r.Title),
			textCell(r.Summary)})
	}
	if err := writeTable(w, g); err != nil {
		return err
	}
	var b strings.Builder
	for _, r := range results {
		if r.Status == analytics.StatusPass {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s\n", strings.ToUpper(string(r.Status)), r.Title)
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "  %-4s  %s: %s\n", f.Status, f.Object, f.Detail)
		}
		fmt.Fprintf(&b, "  threshold: %s\n  remedy: %s\n", r.Threshold, r.Remedy)
	}
	fmt.Fprintf(&b, "\noverall: %s\n", analytics.Overall(results))
	_, err := io.WriteString(w, b.String())
	return err
}
