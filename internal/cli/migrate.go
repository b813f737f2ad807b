package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/forgedb/forge/internal/migrategen"
	"github.com/forgedb/forge/migrate"
	"github.com/forgedb/forge/migrate/lint"
)

func init() { register(newMigrateCommand) }

// migrationsDir is where `forge migrate new` and `hash` write, relative to the checkout root.
const migrationsDir = "migrate/migrations"

type migrateFlags struct {
	dir         string
	lockWait    time.Duration
	lockTimeout time.Duration
	stmtTimeout time.Duration
	format      string
}

func newMigrateCommand(a *app) *cobra.Command {
	f := &migrateFlags{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, inspect and plan the versioned migrations",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.dir, "dir", "", "migration directory on disk (default: the migrations built into forge)")
	pf.DurationVar(&f.lockWait, "lock-wait", 5*time.Minute, "how long to wait for another migration run's advisory lock")
	pf.DurationVar(&f.lockTimeout, "lock-timeout", 5*time.Second, "PostgreSQL lock_timeout for migration statements")
	pf.DurationVar(&f.stmtTimeout, "statement-timeout", 30*time.Minute, "PostgreSQL statement_timeout for migration statements")
	cmd.AddCommand(
		newMigrateUpCommand(a, f),
		newMigrateStatusCommand(a, f),
		newMigrateDownCommand(a, f),
		newMigrateBaselineCommand(a, f),
		newMigrateSQLCommand(a, f),
		newMigrateNewCommand(a),
		newMigrateHashCommand(),
		newMigrateLintCommand(a, f),
	)
	return cmd
}

func (a *app) migrator(ctx context.Context, f *migrateFlags) (*migrate.Migrator, error) {
	for name, d := range map[string]time.Duration{
		"--lock-wait": f.lockWait, "--lock-timeout": f.lockTimeout, "--statement-timeout": f.stmtTimeout,
	} {
		if d <= 0 {
			return nil, fmt.Errorf("invalid %s %s: use a positive duration such as 5s or 10m", name, d)
		}
	}
	pool, err := a.db(ctx)
	if err != nil {
		return nil, err
	}
	var src *migrate.Source
	if f.dir != "" {
		if src, err = migrate.Load(os.DirFS(f.dir), f.dir); err != nil {
			return nil, err
		}
	}
	return migrate.New(pool, &migrate.Config{
		Source:           src,
		LockWait:         f.lockWait,
		LockTimeout:      f.lockTimeout,
		StatementTimeout: f.stmtTimeout,
		Logger:           a.logger,
	})
}

func newMigrateUpCommand(a *app, f *migrateFlags) *cobra.Command {
	var (
		steps  int
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Apply pending migrations, each file in its own transaction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if steps < 0 {
				return fmt.Errorf("invalid --steps %d: use a positive number of files, or 0 for all", steps)
			}
			ctx := cmd.Context()
			m, err := a.migrator(ctx, f)
			if err != nil {
				return err
			}
			if dryRun {
				return a.printDryRun(ctx, m, steps)
			}
			return a.migrateUp(ctx, m, steps)
		},
	}
	cmd.Flags().IntVar(&steps, "steps", 0, "apply at most this many pending files (0: all)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the SQL that would run and change nothing")
	return cmd
}

func (a *app) printDryRun(ctx context.Context, m *migrate.Migrator, steps int) error {
	res, err := m.UpWith(ctx, migrate.UpOptions{Steps: steps, DryRun: true})
	if err != nil {
		return err
	}
	if len(res.Applied) == 0 {
		fmt.Fprintln(a.stdout, "-- No pending migrations: the database is up to date.")
	}
	for _, ap := range res.Applied {
		fmt.Fprintf(a.stdout, "-- %s_%s.sql (%d statements, txmode %s)\n", ap.Version, ap.Name, ap.Statements, ap.TxMode)
		for _, stmt := range ap.SQL {
			fmt.Fprintln(a.stdout, stmt)
		}
		fmt.Fprintln(a.stdout)
	}
	return nil
}

// migrateUp applies pending files and prints one aligned line per file as it goes.
func (a *app) migrateUp(ctx context.Context, m *migrate.Migrator, steps int) error {
	res, err := m.UpWith(ctx, migrate.UpOptions{
		Steps: steps,
		OnApplied: func(ap migrate.Applied) {
			fmt.Fprintf(a.stdout, "applied  %s  %-24s %s  %s\n",
				ap.Version, ap.Name, statements(ap.Statements), ap.Duration.Round(time.Millisecond))
		},
	})
	if err != nil {
		return err
	}
	if len(res.Applied) == 0 {
		fmt.Fprintln(a.stdout, "No pending migrations: the database is up to date.")
	}
	return nil
}

func newMigrateStatusCommand(a *app, f *migrateFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List every migration version with its state, time and duration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			m, err := a.migrator(ctx, f)
			if err != nil {
				return err
			}
			st, err := m.Status(ctx)
			if err != nil {
				return err
			}
			return a.printStatus(st, f.format)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "table", "output format: table or json")
	return cmd
}

func (a *app) printStatus(st []migrate.VersionStatus, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	case "table", "":
	default:
		return fmt.Errorf("invalid --format %q: use table or json", format)
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tNAME\tSTATE\tEXECUTED AT (UTC)\tDURATION\tSTATEMENTS")
	pending := 0
	for _, s := range st {
		executed, duration := "-", "-"
		if !s.ExecutedAt.IsZero() {
			executed = s.ExecutedAt.Format("2006-01-02 15:04:05")
			duration = s.Duration.Round(time.Millisecond).String()
		}
		if s.State == migrate.StatePending {
			pending++
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d/%d\n", s.Version, s.Name, s.State, executed, duration, s.Applied, s.Total)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, s := range st {
		if s.Error != "" {
			fmt.Fprintf(a.stdout, "\n%s failed: %s\n  statement: %s\n  fix the file or the database, then run `forge migrate up` again.\n",
				s.Version, s.Error, s.ErrorStmt)
		}
	}
	fmt.Fprintf(a.stdout, "\n%d versions, %d pending.\n", len(st), pending)
	return nil
}

func newMigrateNewCommand(a *app) *cobra.Command {
	var (
		opts   migrategen.Options
		tables string
		dir    string
	)
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Plan the next migration from the ent schema (up and down files, atlas.sum)",
		Long: "Plan the next migration with Atlas: replay the migration directory on a throwaway database,\n" +
			"diff it against the ent schema, and write the up file, its down file and both atlas.sum files.\n" +
			"Writes nothing when the schema has no change. Uses the local server, or the server of\n" +
			"--database-url, for the throwaway database.",
		Args: exactArg("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			opts.Name = args[0]
			if tables != "" {
				opts.Tables = strings.Split(tables, ",")
			}
			devURL, err := a.devURL(ctx)
			if err != nil {
				return err
			}
			res, err := migrategen.Generate(ctx, devURL, dir, opts)
			if err != nil {
				return err
			}
			if res.UpFile == "" {
				fmt.Fprintln(a.stdout, "The migration files already match the ent schema: nothing to write.")
				return nil
			}
			fmt.Fprintf(a.stdout, "wrote %s (%s)\nwrote %s\n", res.UpFile, strings.TrimSpace(statements(res.Statements)), res.DownFile)
			if res.Concurrent {
				fmt.Fprintln(a.stdout, "The file builds indexes concurrently, so it runs outside a transaction (atlas:txmode none).")
			}
			src, err := migrate.Load(os.DirFS(dir), dir)
			if err != nil {
				return err
			}
			version := strings.SplitN(filepath.Base(res.UpFile), "_", 2)[0]
			findings, err := lint.Run(ctx, devURL, src, lint.Options{Versions: []string{version}})
			return a.printFindings(findings, err, "table")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", filepath.Join(checkoutRoot(), migrationsDir), "migration directory")
	fl.StringVar(&tables, "tables", "", "comma-separated new tables to include (default: all)")
	fl.BoolVar(&opts.SkipIndexes, "skip-indexes", false, "leave new non-unique indexes for a later migration")
	fl.StringVar(&opts.Version, "version", "", "version to use instead of the current UTC time (YYYYMMDDHHMMSS)")
	return cmd
}

// devURL returns the server on which `migrate new` creates its throwaway database: the local
// server, which Forge controls, unless --database-url or DATABASE_URL names another.
func (a *app) devURL(ctx context.Context) (string, error) {
	conn, _, err := a.connString(ctx)
	return conn, err
}

func newMigrateHashCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "hash",
		Short: "Rewrite atlas.sum after a reviewed hand edit of a migration file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := migrate.WriteSums(dir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rewrote %s and %s\n", filepath.Join(dir, "atlas.sum"),
				filepath.Join(dir, migrate.DownDir, "atlas.sum"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", filepath.Join(checkoutRoot(), migrationsDir), "migration directory")
	return cmd
}

func newMigrateDownCommand(a *app, f *migrateFlags) *cobra.Command {
	var opts migrate.DownOptions
	cmd := &cobra.Command{
		Use:   "down [N]",
		Short: "Revert the last applied migration, or the last N, or all newer than --to VERSION",
		Long: "Revert applied migrations newest first with their down files. A down file that drops a\n" +
			"table or column holding data is refused unless --force. --to 0 reverts everything.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				n, err := strconv.Atoi(args[0])
				if err != nil || n < 1 {
					return fmt.Errorf("invalid number of versions %q: use a positive integer, or --to VERSION", args[0])
				}
				if opts.To != "" {
					return fmt.Errorf("give either N (%s) or --to (%s), not both", args[0], opts.To)
				}
				opts.Steps = n
			}
			ctx := cmd.Context()
			m, err := a.migrator(ctx, f)
			if err != nil {
				return err
			}
			verb := "reverted"
			if opts.DryRun {
				verb = "would revert"
			}
			opts.OnReverted = func(r migrate.Reverted) {
				fmt.Fprintf(a.stdout, "%s  %s  %-24s %s  %s\n",
					verb, r.Version, r.Name, statements(len(r.Statements)), r.Duration.Round(time.Millisecond))
				if opts.DryRun {
					for _, stmt := range r.Statements {
						fmt.Fprintf(a.stdout, "    %s\n", stmt)
					}
					for _, loss := range r.Losses {
						fmt.Fprintf(a.stdout, "    would destroy %s: needs --force\n", loss)
					}
				}
			}
			reverted, err := m.Down(ctx, opts)
			if err != nil {
				return err
			}
			if len(reverted) == 0 {
				fmt.Fprintln(a.stdout, "Nothing to revert.")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "revert every version newer than this one (0: all)")
	fl.BoolVar(&opts.Force, "force", false, "revert even when the down file drops tables or columns that hold data")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print what would be reverted and change nothing")
	return cmd
}

func newMigrateBaselineCommand(a *app, f *migrateFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "baseline VERSION",
		Short: "Adopt an existing database whose schema matches VERSION (records it without running it)",
		Args:  exactArg("VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			m, err := a.migrator(ctx, f)
			if err != nil {
				return err
			}
			if err := m.Baseline(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Recorded %s as the baseline; `forge migrate up` applies only newer versions.\n", args[0])
			return nil
		},
	}
}

func newMigrateSQLCommand(a *app, f *migrateFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "sql VERSION",
		Short: "Print a version's up and down SQL",
		Args:  exactArg("VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := f.source()
			if err != nil {
				return err
			}
			up, down, err := src.Version(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "-- up: %s\n%s\n-- down: %s/%s\n%s", up.Name(), up.Bytes(), migrate.DownDir, up.Name(), down)
			return nil
		},
	}
}

// source returns the --dir directory, or the embedded migrations.
func (f *migrateFlags) source() (*migrate.Source, error) {
	if f.dir != "" {
		return migrate.Load(os.DirFS(f.dir), f.dir)
	}
	return migrate.Embedded()
}

func newMigrateLintCommand(a *app, f *migrateFlags) *cobra.Command {
	var (
		opts   lint.Options
		format string
	)
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check migration files for destructive or blocking changes (exits 2 on errors)",
		Long: "Replay the migration files on a throwaway database and run Atlas's analyzers and Forge's\n" +
			"rules for online deploys. Each finding names the file, line and rule and says how to fix it.\n" +
			"Mark a reviewed exception with `-- atlas:nolint CODE` on the line before the statement.\n" +
			"Uses the local server, or the server of --database-url, for the throwaway database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("invalid --format %q: use table or json", format)
			}
			ctx := cmd.Context()
			src, err := f.source()
			if err != nil {
				return err
			}
			devURL, err := a.devURL(ctx)
			if err != nil {
				return err
			}
			findings, err := lint.Run(ctx, devURL, src, opts)
			return a.printFindings(findings, err, format)
		},
	}
	cmd.Flags().IntVar(&opts.Latest, "latest", 0, "lint only the newest N files (0: all)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

// printFindings prints lint findings and turns lint.ErrFindings into exit code 2.
func (a *app) printFindings(findings []lint.Finding, err error, format string) error {
	if err != nil && !errors.Is(err, lint.ErrFindings) {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(findings); encErr != nil {
			return encErr
		}
	} else {
		for _, fd := range findings {
			fmt.Fprintln(a.stdout, fd)
		}
		errorsFound := 0
		for _, fd := range findings {
			if fd.Severity == lint.Error {
				errorsFound++
			}
		}
		fmt.Fprintf(a.stdout, "lint: %d findings, %d errors\n", len(findings), errorsFound)
	}
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	return nil
}

// statements formats a statement count for the aligned per-file lines.
func statements(n int) string {
	if n == 1 {
		return "  1 statement "
	}
	return fmt.Sprintf("%3d statements", n)
}

// exactArg requires exactly one argument and names it when it is missing.
func exactArg(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			return fmt.Errorf("missing %s: usage: %s", name, cmd.UseLine())
		case len(args) > 1:
			return fmt.Errorf("too many arguments %q: %s takes one %s", args, cmd.CommandPath(), name)
		}
		return nil
	}
}
