package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/forgedb/forge/migrate"
	"github.com/forgedb/forge/seed"
)

func init() { register(newDemoCommand) }

func newDemoCommand(a *app) *cobra.Command {
	var allowRemote bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Migrate, seed demo data (replacing what is there) and print the full report",
		Long: "Run Forge end to end: start the local server when no database URL is set, apply the\n" +
			"migrations, replace the data with the demo seed, and print the customer and tuning reports.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pool, err := a.db(ctx)
			if err != nil {
				return err
			}

			fmt.Fprintln(a.stdout, "== Migrations ==")
			m, err := migrate.New(pool, &migrate.Config{Logger: a.logger})
			if err != nil {
				return err
			}
			if err := a.migrateUp(ctx, m, 0); err != nil {
				return err
			}

			fmt.Fprintln(a.stdout, "\n== Seed ==")
			progress := newSeedProgress(a.stderr)
			report, err := seed.Run(ctx, pool, seed.Config{
				Seed:        seed.DefaultSeed,
				Scale:       seed.ScaleDemo,
				Reset:       true,
				AllowRemote: allowRemote,
				Logger:      a.logger,
				Progress:    progress.update,
			})
			progress.finish()
			if err != nil {
				return seedError(ctx.Err(), err)
			}
			if err := printSeedReport(a.stdout, report); err != nil {
				return err
			}

			fmt.Fprintln(a.stdout)
			return a.printReport(ctx, pool)
		},
	}
	cmd.Flags().BoolVar(&allowRemote, "allow-remote", false,
		"replace the data of a database that is not on this machine")
	return cmd
}
