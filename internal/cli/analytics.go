package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/forgedb/forge/analytics"
)

func init() { register(newAnalyticsCommand) }

func newAnalyticsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "analytics",
		Short: "Customer reports and database tuning and health reports",
		Long: "Customer reports and database tuning and health reports. Every report prints an " +
			"aligned table by default, or JSON or CSV with --format.",
	}
	cmd.PersistentFlags().String("format", formatTable, "output format: table, json or csv")
	cmd.AddCommand(
		a.newCustomersCommand(),
		a.newTiersCommand(),
		a.newSlowQueriesCommand(),
		a.newColumnStatsCommand(),
		a.newTableSizesCommand(),
		a.newIndexUsageCommand(),
		a.newCacheHitCommand(),
		a.newReportCommand(),
		a.newCheckCommand(),
	)
	return cmd
}

// outputFormat reads the --format flag inherited from the analytics command.
func outputFormat(cmd *cobra.Command) (string, error) {
	format, err := cmd.Flags().GetString("format")
	if err != nil {
		return "", err
	}
	return format, validateFormat(format)
}

// tierFlags are the flags that define and filter tiers.
type tierFlags struct {
	since, vip, regular string
}

func (f *tierFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.since, "since", "",
		"keep users who signed up at or after this date (YYYY-MM-DD, UTC) or RFC 3339 time")
	cmd.Flags().StringVar(&f.vip, "vip-above", "1000", "lifetime value a VIP customer exceeds")
	cmd.Flags().StringVar(&f.regular, "regular-above", "100", "lifetime value a Regular customer exceeds")
}

func (f *tierFlags) parse() (time.Time, *analytics.Thresholds, error) {
	var since time.Time
	if f.since != "" {
		var err error
		since, err = parseSince(f.since)
		if err != nil {
			return since, nil, err
		}
	}
	vip, err := decimal.NewFromString(f.vip)
	if err != nil {
		return since, nil, fmt.Errorf("invalid --vip-above %q: expected a decimal amount such as 1000", f.vip)
	}
	regular, err := decimal.NewFromString(f.regular)
	if err != nil {
		return since, nil, fmt.Errorf("invalid --regular-above %q: expected a decimal amount such as 100", f.regular)
	}
	return since, &analytics.Thresholds{VIP: vip, Regular: regular}, nil
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("invalid --since %q: expected YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func (a *app) newCustomersCommand() *cobra.Command {
	var (
		tiers  tierFlags
		p      analytics.CustomerParams
		tier   string
		after  string
		plain  bool
		cursor bool
	)
	cmd := &cobra.Command{
		Use:   "customers",
		Short: "Active customers by lifetime value, with their tiers",
		Long: "Active customers by lifetime value, highest first; ties are broken by user id, " +
			"highest first. Page with --after, passing the cursor of the previous page's last " +
			"row (printed with --cursor); --offset is accepted but gets slower on deep pages.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			// The library reads a zero limit as the default; on the command line it is a mistake.
			if p.Limit == 0 {
				return fmt.Errorf("invalid --limit 0: use 1 to %d rows per page", analytics.MaxLimit)
			}
			p.Since, p.Thresholds, err = tiers.parse()
			if err != nil {
				return err
			}
			if tier != "" {
				if p.Tier, err = analytics.ParseTier(tier); err != nil {
					return err
				}
			}
			if after != "" {
				c, err := analytics.ParseCursor(after)
				if err != nil {
					return err
				}
				p.After = &c
			}
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			query := analytics.CustomerMetrics
			if plain {
				query = analytics.PlainCustomerMetrics
			}
			metrics, err := query(cmd.Context(), pool, p)
			if err != nil {
				return err
			}
			if err := render(a.stdout, format, metrics, customerGrid(metrics)); err != nil {
				return err
			}
			if cursor && format == formatTable && len(metrics) > 0 {
				fmt.Fprintf(a.stdout, "next page: --after %s\n", metrics[len(metrics)-1].Cursor())
			}
			return nil
		},
	}
	tiers.add(cmd)
	flags := cmd.Flags()
	flags.StringVar(&tier, "tier", "", "keep one tier: VIP, Regular or New")
	flags.IntVar(&p.Limit, "limit", analytics.DefaultLimit,
		fmt.Sprintf("rows per page, at most %d", analytics.MaxLimit))
	flags.IntVar(&p.Offset, "offset", 0, "rows to skip (slower than --after on deep pages)")
	flags.StringVar(&after, "after", "", "start after this cursor, VALUE:USER_ID, from the previous page")
	flags.BoolVar(&cursor, "cursor", false, "print the cursor of the next page after the table")
	flags.BoolVar(&plain, "plain", false,
		"compute with the straightforward join of every order and item (slow; for comparison)")
	return cmd
}

func customerGrid(metrics []analytics.CustomerMetric) grid {
	g := grid{
		headers: []string{"USER ID", "NAME", "EMAIL", "ORDERS", "LIFETIME VALUE", "LAST ORDER", "TIER"},
		right:   map[int]bool{0: true, 3: true, 4: true},
	}
	for _, m := range metrics {
		g.rows = append(g.rows, []cell{
			intCell(m.UserID), textCell(m.Name), textCell(m.Email), intCell(m.TotalOrders),
			decimalCell(m.LifetimeValue), timeCell(m.LastOrderAt), textCell(string(m.Tier)),
		})
	}
	return g
}

func (a *app) newTiersCommand() *cobra.Command {
	var (
		tiers tierFlags
		plain bool
	)
	cmd := &cobra.Command{
		Use:   "tiers",
		Short: "Number of active customers and their lifetime value per tier",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			var p analytics.TierParams
			p.Since, p.Thresholds, err = tiers.parse()
			if err != nil {
				return err
			}
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			query := analytics.TierSummary
			if plain {
				query = analytics.PlainTierSummary
			}
			totals, err := query(cmd.Context(), pool, p)
			if err != nil {
				return err
			}
			return render(a.stdout, format, totals, tierGrid(totals))
		},
	}
	tiers.add(cmd)
	cmd.Flags().BoolVar(&plain, "plain", false,
		"compute with the straightforward join of every order and item (slow; for comparison)")
	return cmd
}

func tierGrid(totals []analytics.TierTotal) grid {
	g := grid{headers: []string{"TIER", "CUSTOMERS", "VALUE"}, right: map[int]bool{1: true, 2: true}}
	for _, t := range totals {
		g.rows = append(g.rows, []cell{textCell(string(t.Tier)), intCell(t.Customers), decimalCell(t.Value)})
	}
	return g
}

func (a *app) newSlowQueriesCommand() *cobra.Command {
	var (
		p    analytics.StatementParams
		sort string
	)
	cmd := &cobra.Command{
		Use:   "slow-queries",
		Short: "Slow and most-called statements from pg_stat_statements",
		Long: "Slow and most-called statements from pg_stat_statements, read with the column " +
			"names of the installed extension (PostgreSQL 13 to 17). Times are in milliseconds.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p.Sort = analytics.StatementSort(sort)
			return runReport(a, cmd, func(ctx context.Context, db analytics.Querier) ([]analytics.Statement, error) {
				return analytics.SlowStatements(ctx, db, p)
			}, statementGrid)
		},
	}
	flags := cmd.Flags()
	flags.Float64Var(&p.MinMeanMillis, "min-mean-ms", 100,
		"keep statements whose mean execution time is at least this many milliseconds (negative: all)")
	flags.Int64Var(&p.MinCalls, "min-calls", 0, "keep statements called at least this many times")
	flags.StringVar(&sort, "sort", string(analytics.SortByMeanTime),
		"order by mean (time per call), total (time in all) or calls")
	flags.IntVar(&p.Limit, "limit", 20, "number of statements")
	flags.BoolVar(&p.AllDatabases, "all-databases", false, "include statements of every database")
	return cmd
}

func statementGrid(statements []analytics.Statement) grid {
	g := grid{
		headers: []string{"CALLS", "TOTAL MS", "MEAN MS", "MAX MS", "ROWS", "HIT %", "QUERY"},
		right:   map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true},
	}
	for _, s := range statements {
		hit := cell{}
		if blocks := s.SharedBlksHit + s.SharedBlksRead; blocks > 0 {
			hit = floatCell(100*float64(s.SharedBlksHit)/float64(blocks), 1)
		}
		g.rows = append(g.rows, []cell{
			intCell(s.Calls), floatCell(s.TotalMillis, 1), floatCell(s.MeanMillis, 2),
			floatCell(s.MaxMillis, 2), intCell(s.Rows), hit, statementCell(s.Query, 80),
		})
	}
	return g
}

func (a *app) newColumnStatsCommand() *cobra.Command {
	var p analytics.ColumnStatParams
	cmd := &cobra.Command{
		Use:   "column-stats",
		Short: "Planner statistics of columns with many distinct values and low correlation",
		Long: "Planner statistics from pg_stats: columns with many distinct values whose " +
			"physical order does not follow their sort order (range scans on them read " +
			"scattered pages), and every column with no statistics at all.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(a, cmd, func(ctx context.Context, db analytics.Querier) ([]analytics.ColumnStat, error) {
				return analytics.ColumnStats(ctx, db, p)
			}, columnStatGrid)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&p.Schema, "schema", "public", "schema to inspect")
	flags.Float64Var(&p.MinDistinct, "min-distinct", 100, "keep columns with at least this many distinct values")
	flags.Float64Var(&p.MaxCorrelation, "max-correlation", 0.1,
		"keep columns whose correlation is within plus or minus this value")
	flags.BoolVar(&p.All, "all", false, "list every column")
	return cmd
}

func columnStatGrid(stats []analytics.ColumnStat) grid {
	g := grid{
		headers: []string{"TABLE", "COLUMN", "DISTINCT (EST.)", "N_DISTINCT", "NULL FRAC", "CORRELATION", "ANALYZED"},
		right:   map[int]bool{2: true, 3: true, 4: true, 5: true},
	}
	optional := func(f *float64, decimals int) cell {
		if f == nil {
			return cell{}
		}
		return floatCell(*f, decimals)
	}
	for _, s := range stats {
		distinct := optional(s.EstimatedDistinct, 0)
		if s.Missing {
			distinct = textCell("missing")
		}
		g.rows = append(g.rows, []cell{
			textCell(s.Schema + "." + s.Table), textCell(s.Column), distinct,
			optional(s.NDistinct, 3), optional(s.NullFraction, 3), optional(s.Correlation, 3),
			timeCell(s.LastAnalyzedAt),
		})
	}
	return g
}

func (a *app) newTableSizesCommand() *cobra.Command {
	var schema string
	cmd := &cobra.Command{
		Use:   "table-sizes",
		Short: "Table and index sizes and row estimates, largest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(a, cmd, func(ctx context.Context, db analytics.Querier) ([]analytics.TableSize, error) {
				return analytics.TableSizes(ctx, db, schema)
			}, tableSizeGrid)
		},
	}
	cmd.Flags().StringVar(&schema, "schema", "public", "schema to inspect")
	return cmd
}

func tableSizeGrid(sizes []analytics.TableSize) grid {
	g := grid{
		headers: []string{"TABLE", "ROWS (EST.)", "TABLE", "TOAST+MAPS", "INDEXES", "TOTAL"},
		right:   map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true},
	}
	for _, s := range sizes {
		rows := floatCell(s.RowEstimate, 0)
		if s.RowEstimate < 0 {
			rows = cell{text: "unknown", raw: "-1"}
		}
		g.rows = append(g.rows, []cell{
			textCell(s.Schema + "." + s.Table), rows, bytesCell(s.TableBytes),
			bytesCell(s.ToastBytes), bytesCell(s.IndexBytes), bytesCell(s.TotalBytes),
		})
	}
	return g
}

func (a *app) newIndexUsageCommand() *cobra.Command {
	var schema string
	cmd := &cobra.Command{
		Use:   "index-usage",
		Short: "Index sizes and scan counts, largest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(a, cmd, func(ctx context.Context, db analytics.Querier) ([]analytics.IndexUsage, error) {
				return analytics.IndexUsages(ctx, db, schema)
			}, indexUsageGrid)
		},
	}
	cmd.Flags().StringVar(&schema, "schema", "public", "schema to inspect")
	return cmd
}

func indexUsageGrid(usages []analytics.IndexUsage) grid {
	g := grid{
		headers: []string{"TABLE", "INDEX", "SIZE", "SCANS", "KIND"},
		right:   map[int]bool{2: true, 3: true},
	}
	for _, u := range usages {
		var kind []string
		if u.Primary {
			kind = append(kind, "primary")
		} else if u.Unique {
			kind = append(kind, "unique")
		}
		if !u.Valid {
			kind = append(kind, "INVALID")
		}
		g.rows = append(g.rows, []cell{
			textCell(u.Schema + "." + u.Table), textCell(u.Index), bytesCell(u.Bytes),
			intCell(u.Scans), textCell(strings.Join(kind, ",")),
		})
	}
	return g
}

func (a *app) newCacheHitCommand() *cobra.Command {
	var schema string
	cmd := &cobra.Command{
		Use:   "cache-hit",
		Short: "Share of block reads served from shared buffers, per table and its indexes",
		Long: "Share of block reads served from shared buffers, per table and its indexes, since " +
			"the statistics were last reset. Tables with the most reads from outside shared " +
			"buffers come first.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(a, cmd, func(ctx context.Context, db analytics.Querier) ([]analytics.CacheHitRatio, error) {
				return analytics.CacheHitRatios(ctx, db, schema)
			}, cacheHitGrid)
		},
	}
	cmd.Flags().StringVar(&schema, "schema", "public", "schema to inspect")
	return cmd
}

func cacheHitGrid(ratios []analytics.CacheHitRatio) grid {
	g := grid{
		headers: []string{"TABLE", "HEAP HIT %", "HEAP BLOCKS", "INDEX HIT %", "INDEX BLOCKS"},
		right:   map[int]bool{1: true, 2: true, 3: true, 4: true},
	}
	percent := func(ratio float64) cell {
		if ratio < 0 {
			return cell{}
		}
		return floatCell(100*ratio, 2)
	}
	for _, r := range ratios {
		g.rows = append(g.rows, []cell{
			textCell(r.Schema + "." + r.Table), percent(r.HeapRatio()), intCell(r.HeapHit + r.HeapRead),
			percent(r.IndexRatio()), intCell(r.IndexHit + r.IndexRead),
		})
	}
	return g
}

func (a *app) newReportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "report",
		Short: "Top customers, tiers and the tuning reports in one listing",
		Long: "Top customers, tiers and the tuning reports in one listing: aligned tables, or one " +
			"JSON object with --format json. A CSV file contains one table only, so for CSV run " +
			"each report on its own.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			if format == formatCSV {
				return fmt.Errorf("invalid --format csv for report: a CSV file contains one table only; run " +
					"customers, tiers, slow-queries, column-stats and table-sizes with --format csv instead")
			}
			pool, err := a.db(cmd.Context())
			if err != nil {
				return err
			}
			if format == formatJSON {
				report, err := collectReport(cmd.Context(), pool)
				if err != nil {
					return err
				}
				return render(a.stdout, format, report, grid{})
			}
			return a.printReport(cmd.Context(), pool)
		},
	}
}

// analyticsReport is everything the report command shows. When pg_stat_statements cannot be
// read, Statements is empty and StatementsError contains the reason and the fix.
type analyticsReport struct {
	Customers       []analytics.CustomerMetric `json:"top_customers"`
	Tiers           []analytics.TierTotal      `json:"tiers"`
	Statements      []analytics.Statement      `json:"statements_by_total_time"`
	StatementsError string                     `json:"statements_error,omitempty"`
	ColumnStats     []analytics.ColumnStat     `json:"column_stats"`
	TableSizes      []analytics.TableSize      `json:"table_sizes"`
}

func collectReport(ctx context.Context, db analytics.Querier) (analyticsReport, error) {
	var (
		r   analyticsReport
		err error
	)
	r.Customers, err = analytics.CustomerMetrics(ctx, db, analytics.CustomerParams{Limit: 10})
	if err != nil {
		return r, err
	}
	r.Tiers, err = analytics.TierSummary(ctx, db, analytics.TierParams{})
	if err != nil {
		return r, err
	}
	r.Statements, err = analytics.SlowStatements(ctx, db, analytics.StatementParams{
		MinMeanMillis: -1, Sort: analytics.SortByTotalTime, Limit: 5,
	})
	var unavailable *analytics.StatementsError
	if errors.As(err, &unavailable) {
		r.StatementsError = unavailable.Error()
	} else if err != nil {
		return r, err
	}
	r.ColumnStats, err = analytics.ColumnStats(ctx, db, analytics.ColumnStatParams{})
	if err != nil {
		return r, err
	}
	r.TableSizes, err = analytics.TableSizes(ctx, db, "")
	return r, err
}

// printReport writes the full analytics report to a.stdout as aligned tables: the top
// customers with their tiers, the count and value of each tier, and the tuning reports. When
// pg_stat_statements cannot be read, its remedy is printed in place of that table.
func (a *app) printReport(ctx context.Context, db analytics.Querier) error {
	r, err := collectReport(ctx, db)
	if err != nil {
		return err
	}
	w := a.stdout
	sections := []struct {
		title string
		grid  grid
	}{
		{"Top customers by lifetime value", customerGrid(r.Customers)},
		{"Customer tiers (VIP above 1000, Regular above 100)", tierGrid(r.Tiers)},
		{"Statements by total time", statementGrid(r.Statements)},
		{"Columns with many distinct values and low correlation", columnStatGrid(r.ColumnStats)},
		{"Table sizes", tableSizeGrid(r.TableSizes)},
	}
	for _, s := range sections {
		if s.title == "Statements by total time" && r.StatementsError != "" {
			if _, err := fmt.Fprintf(w, "== %s ==\n%s\n\n", s.title, r.StatementsError); err != nil {
				return err
			}
			continue
		}
		if err := section(w, s.title, s.grid); err != nil {
			return err
		}
	}
	return nil
}

func section(w io.Writer, title string, g grid) error {
	if _, err := fmt.Fprintf(w, "== %s ==\n", title); err != nil {
		return err
	}
	if err := writeTable(w, g); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// runReport opens the database, runs query and prints its rows in the --format the command
// was given.
func runReport[T any](a *app, cmd *cobra.Command, query func(context.Context, analytics.Querier) ([]T, error),
	toGrid func([]T) grid) error {
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	pool, err := a.db(cmd.Context())
	if err != nil {
		return err
	}
	rows, err := query(cmd.Context(), pool)
	if err != nil {
		return err
	}
	return render(a.stdout, format, rows, toGrid(rows))
}
