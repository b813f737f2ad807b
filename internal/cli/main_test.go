package cli

import (
	"os"
	"testing"

	"github.com/forgedb/forge/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
