package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/seed"
)

func TestSeedProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := newSeedProgress(&out)
	require.False(t, p.terminal)

	p.update(seed.Progress{Phase: seed.PhaseLoad})
	p.update(seed.Progress{Phase: seed.PhaseLoad, Table: "users", Rows: 100, Total: 1000, Elapsed: time.Second})
	p.update(seed.Progress{Phase: seed.PhaseLoad, Table: "users", Rows: 200, Total: 1000, Elapsed: 2 * time.Second})
	p.update(seed.Progress{Phase: seed.PhaseLoad, Table: "users", Rows: 1000, Total: 1000, Elapsed: 3 * time.Second})
	p.finish()

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 3, "the second update comes within the log interval and is skipped")
	require.Equal(t, "seed: load", lines[0])
	require.Contains(t, lines[1], "100 / 1000")
	require.Contains(t, lines[1], "100 rows/s")
	require.Contains(t, lines[1], "9s left")
	require.Contains(t, lines[2], "1000 / 1000")
	require.NotContains(t, out.String(), "\r")
}

func TestSeedErrorNamesFlags(t *testing.T) {
	tests := []struct {
		name   string
		ctxErr error
		err    error
		want   string
		code   int
	}{
		{"not empty", nil, &seed.NotEmptyError{Table: "users"}, "--reset", 2},
		{"remote", nil, &seed.RemoteError{Host: "db.example.com"}, "--allow-remote", 2},
		{"not migrated", nil, fmt.Errorf("%w: missing tables users", seed.ErrNotMigrated), "forge migrate up", 0},
		{"interrupted", context.Canceled, context.Canceled, "database is unchanged", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := seedError(tt.ctxErr, tt.err)
			require.ErrorContains(t, err, tt.want)
			var exit *exitError
			if tt.code == 0 {
				require.False(t, errors.As(err, &exit))
				return
			}
			require.ErrorAs(t, err, &exit)
			require.Equal(t, tt.code, exit.code)
		})
	}
}
