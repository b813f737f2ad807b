// Package cli implements the forge command. Library packages return values and errors; this
// package alone decides how they are printed.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/internal/pgserver"
)

// app is the state shared by every command: global flags, output streams, the connection.
type app struct {
	stdout, stderr io.Writer
	logger         *slog.Logger

	databaseURL string // --database-url
	dataDir     string // --data-dir
	verbose     bool

	pool *pgxpool.Pool
	conn *forge.DB // owns pool
}

// Main runs the forge command with args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	a.close()
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			fmt.Fprintf(stderr, "forge: %v\n", exit.err)
		}
		return exit.code
	}
	fmt.Fprintf(stderr, "forge: %v\n", err)
	return 1
}

// exitError ends the command with a specific exit code, such as 2 for a failed check.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "forge",
		Short:         "Migrations, seed data and analytics for Forge's PostgreSQL store",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelWarn
			if a.verbose {
				level = slog.LevelDebug
			}
			a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
		},
	}
	flags := root.PersistentFlags()
	flags.StringVar(&a.databaseURL, "database-url", "",
		"PostgreSQL URL or key=value string (default: $DATABASE_URL, else the local server)")
	flags.StringVar(&a.dataDir, "data-dir", "",
		"directory of the local server's files (default: $FORGE_DATA_DIR, else .forge at the checkout root)")
	flags.BoolVarP(&a.verbose, "verbose", "v", false, "log debug detail to stderr")

	for _, add := range commands {
		root.AddCommand(add(a))
	}
	rejectUnknownSubcommands(root)
	return root
}

// rejectUnknownSubcommands makes every command group fail on an unknown subcommand. Cobra
// prints the group's help and exits 0 for `forge migrate bogus`, so a typo in a deploy script
// would pass silently.
func rejectUnknownSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		rejectUnknownSubcommands(sub)
	}
	if cmd.Parent() == nil || !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.SuggestionsMinimumDistance = 2
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", suggestions[0])
		}
		return fmt.Errorf("%s (run %q for the list)", msg, cmd.CommandPath()+" --help")
	}
}

// commands holds the constructors of the top-level commands; each file of this package that
// defines one registers it in an init function.
var commands []func(*app) *cobra.Command

func register(constructor func(*app) *cobra.Command) {
	commands = append(commands, constructor)
}

// connString returns the connection string to use and whether it points at the local server.
// Precedence: --database-url, then DATABASE_URL, then the local server.
func (a *app) connString(ctx context.Context) (string, bool, error) {
	if a.databaseURL != "" {
		return a.databaseURL, false, nil
	}
	if env := os.Getenv("DATABASE_URL"); env != "" {
		return env, false, nil
	}
	srv, err := a.localServer()
	if err != nil {
		return "", true, err
	}
	started, err := srv.Start(ctx)
	if err != nil {
		return "", true, fmt.Errorf("start local PostgreSQL server: %w", err)
	}
	if started {
		fmt.Fprintf(a.stderr, "Started the local PostgreSQL server in %s; it keeps running (stop it with: forge db stop).\n",
			srv.Dir())
	}
	url, err := srv.URL()
	return url, true, err
}

// db returns the connection pool, opening it on first use.
func (a *app) db(ctx context.Context) (*pgxpool.Pool, error) {
	if a.pool != nil {
		return a.pool, nil
	}
	conn, _, err := a.connString(ctx)
	if err != nil {
		return nil, err
	}
	// The CLI opens the database as an app does, through forge.Open, but without a statement
	// timeout: seeding a large data set and building indexes take minutes.
	db, err := forge.Open(ctx, forge.Config{
		DatabaseURL:      conn,
		ConnectTimeout:   10 * time.Second,
		StatementTimeout: -1,
		Logger:           a.logger,
	})
	if err != nil {
		return nil, err
	}
	a.conn, a.pool = db, db.Pool
	return a.pool, nil
}

func (a *app) close() {
	if a.conn != nil {
		a.conn.Close()
	}
}

func (a *app) localServer() (*pgserver.Server, error) {
	dir := a.dataDir
	if dir == "" {
		dir = os.Getenv("FORGE_DATA_DIR")
	}
	if dir == "" {
		dir = filepath.Join(checkoutRoot(), ".forge")
	}
	return pgserver.New(pgserver.Options{
		Dir:    dir,
		BinDir: os.Getenv("FORGE_PG_BINDIR"),
		Logger: a.logger,
	})
}

// checkoutRoot returns the nearest directory at or above the working directory that holds a
// go.mod, or the working directory when there is none.
func checkoutRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if dir == filepath.Dir(dir) {
			return wd
		}
	}
}
