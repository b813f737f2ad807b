package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/forgedb/forge/seed"
)

func init() { register(newSeedCommand) }

func newSeedCommand(a *app) *cobra.Command {
	cfg := seed.Config{}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Fill the data tables with reproducible, realistic data",
		Long: "Fill users, products, orders, order_items and auth_tokens with data generated from a seed.\n" +
			"The same seed gives byte-identical tables at any --workers. The load is one transaction:\n" +
			"on any error or Ctrl-C the database is left as it was. Every seeded user's password is\n" +
			"\"" + seed.DemoPassword + "\".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("seed") && cfg.Seed == 0 {
				return fmt.Errorf("invalid --seed 0: use any other integer (default %d)", seed.DefaultSeed)
			}
			if cfg.Workers <= 0 {
				return fmt.Errorf("invalid --workers %d: use a positive number of goroutines (default %d, the CPUs)",
					cfg.Workers, runtime.NumCPU())
			}
			ctx := cmd.Context()
			pool, err := a.db(ctx)
			if err != nil {
				return err
			}
			cfg.Logger = a.logger
			progress := newSeedProgress(a.stderr)
			cfg.Progress = progress.update
			report, err := seed.Run(ctx, pool, cfg)
			progress.finish()
			if err != nil {
				return seedError(ctx.Err(), err)
			}
			return printSeedReport(a.stdout, report)
		},
	}
	flags := cmd.Flags()
	flags.Int64Var(&cfg.Seed, "seed", seed.DefaultSeed, "seed of the data set; 0 is rejected")
	flags.StringVar(&cfg.Scale, "scale", seed.ScaleDemo,
		"preset sizes: demo (10,000 users), small (100,000) or large (1,000,000)")
	flags.IntVar(&cfg.Users, "users", 0, "number of users (0: the scale's count)")
	flags.IntVar(&cfg.Products, "products", 0, "number of products (0: one per 100 users, 10 to 10,000)")
	flags.IntVar(&cfg.Orders, "orders", 0, "number of orders (0: 3 per user); each has 1 to 5 items")
	flags.IntVar(&cfg.Tokens, "tokens", 0, "number of auth tokens (0: one per 2 users)")
	flags.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "goroutines generating rows; never changes the data")
	flags.BoolVar(&cfg.Reset, "reset", false, "empty the data tables first (the migration history is kept)")
	flags.BoolVar(&cfg.AllowRemote, "allow-remote", false,
		"seed a database that is not on this machine (default: only Unix sockets and loopback addresses)")
	return cmd
}

// seedError names the flag that lifts a rejection, since the library's messages cannot.
func seedError(ctxErr, err error) error {
	var remote *seed.RemoteError
	var notEmpty *seed.NotEmptyError
	switch {
	case ctxErr != nil:
		return fmt.Errorf("seed interrupted; the transaction was rolled back and the database is unchanged: %w", err)
	case errors.As(err, &notEmpty):
		return &exitError{code: 2, err: fmt.Errorf("seed: table %s already has rows "+
			"(run forge seed --reset to replace the data)", notEmpty.Table)}
	case errors.As(err, &remote):
		return &exitError{code: 2, err: fmt.Errorf("seed: database host %q is not on this machine "+
			"(pass --allow-remote to seed it anyway)", remote.Host)}
	case errors.Is(err, seed.ErrNotMigrated):
		return fmt.Errorf("seed: %w; run forge migrate up", err)
	}
	return fmt.Errorf("seed: %w", err)
}

func printSeedReport(w io.Writer, r *seed.Report) error {
	fmt.Fprintf(w, "Seeded with seed %d at scale %s (reference time %s) in %s.\n",
		r.Seed, r.Scale, r.ReferenceTime.Format(time.RFC3339), r.Durations.Total.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tLOAD TIME")
	for _, t := range r.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", t.Name, t.Rows, t.Load.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	d := r.Durations
	fmt.Fprintf(w, "Phases: prepare %s, load %s, indexes %s, analyze %s, commit %s.\n",
		d.Prepare.Round(time.Millisecond), d.Load.Round(time.Millisecond), d.Indexes.Round(time.Millisecond),
		d.Analyze.Round(time.Millisecond), d.Commit.Round(time.Millisecond))
	_, err := fmt.Fprintf(w, "Data checksum: %s\n", r.Checksum)
	return err
}

// seedProgress renders progress on a terminal as one line rewritten in place, and otherwise
// as a log line per phase and table plus one every logInterval.
type seedProgress struct {
	w        io.Writer
	terminal bool
	last     time.Time
	table    string
	drawn    bool
}

const (
	redrawInterval = 200 * time.Millisecond
	logInterval    = 5 * time.Second
)

func newSeedProgress(w io.Writer) *seedProgress {
	p := &seedProgress{w: w}
	if f, ok := w.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *seedProgress) update(pr seed.Progress) {
	now := time.Now()
	if pr.Table == "" {
		p.line(fmt.Sprintf("seed: %s", pr.Phase), true)
		return
	}
	newTable := pr.Table != p.table
	done := pr.Rows == pr.Total
	interval := logInterval
	if p.terminal {
		interval = redrawInterval
	}
	if !newTable && !done && now.Sub(p.last) < interval {
		return
	}
	p.table, p.last = pr.Table, now
	p.line(formatLoadProgress(pr), !p.terminal || done)
}

func formatLoadProgress(pr seed.Progress) string {
	rate := 0.0
	if s := pr.Elapsed.Seconds(); s > 0 {
		rate = float64(pr.Rows) / s
	}
	left := "-"
	if rate > 0 {
		left = (time.Duration(float64(pr.Total-pr.Rows)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("seed: %-14s %11d / %-11d rows  %9.0f rows/s  %s left",
		pr.Table, pr.Rows, pr.Total, rate, left)
}

// line prints text; on a terminal it overwrites the previous line unless that one was kept.
func (p *seedProgress) line(text string, keep bool) {
	if !p.terminal {
		fmt.Fprintln(p.w, text)
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", text)
	p.drawn = !keep
	if keep {
		fmt.Fprintln(p.w)
	}
}

// finish ends a line left open on the terminal, so the next output starts on its own line.
func (p *seedProgress) finish() {
	if p.terminal && p.drawn {
		fmt.Fprintln(p.w)
	}
}
