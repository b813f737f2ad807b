package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/forgedb/forge/internal/devdb"
	"github.com/forgedb/forge/internal/schemadoc"
	"github.com/forgedb/forge/migrate"
)

func init() { register(newDocsCommand) }

// schemaDocPath is where `forge docs schema` writes, relative to the checkout root.
const schemaDocPath = "docs/database/schema.md"

func newDocsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Generate documentation from the schema",
	}
	var output string
	schemaCmd := &cobra.Command{
		Use:   "schema",
		Short: "Write the schema document (ER diagram, columns, constraints, indexes) from a freshly migrated database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			adminURL, err := a.devURL(ctx)
			if err != nil {
				return err
			}
			cfg, drop, err := devdb.Create(ctx, adminURL)
			if err != nil {
				return err
			}
			defer drop()
			poolCfg, err := pgxpool.ParseConfig("")
			if err != nil {
				return err
			}
			poolCfg.ConnConfig = cfg
			pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
			if err != nil {
				return err
			}
			defer pool.Close()
			m, err := migrate.New(pool, nil)
			if err != nil {
				return err
			}
			if _, err := m.Up(ctx); err != nil {
				return err
			}
			doc, err := schemadoc.Generate(ctx, pool)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(output), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(output, []byte(doc), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s\n", output)
			return nil
		},
	}
	schemaCmd.Flags().StringVar(&output, "output", filepath.Join(checkoutRoot(), schemaDocPath), "file to write")
	cmd.AddCommand(schemaCmd)
	return cmd
}
