package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func init() { register(newDBCommand) }

// errRemoteDatabase is returned by `forge db` commands when a URL is set: they manage only the
// local server.
var errRemoteDatabase = errors.New("forge db manages the local server only, but --database-url or DATABASE_URL is set; " +
	"unset it to use the local server")

func newDBCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the local PostgreSQL server (used when no database URL is set)",
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			cmd.Root().PersistentPreRun(cmd, args)
			if a.databaseURL != "" || os.Getenv("DATABASE_URL") != "" {
				return errRemoteDatabase
			}
			return nil
		},
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "start",
			Short: "Initialize the local server on first use and start it",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				srv, err := a.localServer()
				if err != nil {
					return err
				}
				started, err := srv.Start(cmd.Context())
				if err != nil {
					return err
				}
				url, err := srv.URL()
				if err != nil {
					return err
				}
				if started {
					fmt.Fprintf(a.stdout, "Started the local PostgreSQL server in %s.\n", srv.Dir())
				} else {
					fmt.Fprintf(a.stdout, "The local PostgreSQL server in %s is already running.\n", srv.Dir())
				}
				fmt.Fprintf(a.stdout, "URL: %s\nStop it with: forge db stop\n", url)
				return nil
			},
		},
		&cobra.Command{
			Use:   "stop",
			Short: "Stop the local server (fast shutdown: open sessions are rolled back)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				srv, err := a.localServer()
				if err != nil {
					return err
				}
				stopped, err := srv.Stop(cmd.Context())
				if err != nil {
					return err
				}
				if stopped {
					fmt.Fprintf(a.stdout, "Stopped the local PostgreSQL server in %s.\n", srv.Dir())
				} else {
					fmt.Fprintf(a.stdout, "The local PostgreSQL server in %s is not running.\n", srv.Dir())
				}
				return nil
			},
		},
		newDBStatusCommand(a),
		&cobra.Command{
			Use:   "remove",
			Short: "Stop the local server and delete its data (the next start creates an empty cluster)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				srv, err := a.localServer()
				if err != nil {
					return err
				}
				if err := srv.Remove(cmd.Context()); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Removed the local PostgreSQL cluster of %s.\n", srv.Dir())
				return nil
			},
		},
		&cobra.Command{
			Use:   "url",
			Short: "Print the local server's connection URL (Unix socket, no password), for psql and DATABASE_URL",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				srv, err := a.localServer()
				if err != nil {
					return err
				}
				url, err := srv.URL()
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, url)
				return nil
			},
		},
	)
	return cmd
}

func newDBStatusCommand(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether the local server is initialized and running",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			srv, err := a.localServer()
			if err != nil {
				return err
			}
			st, err := srv.Status(cmd.Context())
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			state := "stopped"
			switch {
			case !st.Initialized:
				state = "not initialized (forge db start creates it)"
			case st.Running:
				state = "running"
			}
			fmt.Fprintf(a.stdout, "state:     %s\nversion:   %s\ndata dir:  %s\nrun as:    %s\n", state, st.Version, st.DataDir, st.User)
			if st.Port != 0 {
				fmt.Fprintf(a.stdout, "port:      %d (127.0.0.1)\nsocket:    %s\n", st.Port, st.SocketDir)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}
