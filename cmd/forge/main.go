// Command forge runs Forge's migrations, seeds demo data, prints analytics reports and
// manages the local PostgreSQL server. Run `forge --help` for the commands.
package main

import (
	"os"

	"github.com/forgedb/forge/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
