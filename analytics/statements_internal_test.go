package analytics

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolveStatementColumns(t *testing.T) {
	t.Parallel()
	base := []string{"userid", "dbid", "queryid", "query", "calls", "rows", "shared_blks_hit", "shared_blks_read"}
	cases := map[string]struct {
		columns []string
		want    map[string]string
	}{
		"PostgreSQL 12": {
			columns: append(base, "total_time", "mean_time", "max_time", "blk_read_time", "blk_write_time"),
			want: map[string]string{"total": "total_time", "mean": "mean_time", "max": "max_time",
				"read_time": "blk_read_time", "write_time": "blk_write_time"},
		},
		"PostgreSQL 13 to 16": {
			columns: append(base, "total_plan_time", "total_exec_time", "mean_exec_time", "max_exec_time",
				"blk_read_time", "blk_write_time"),
			want: map[string]string{"total": "total_exec_time", "mean": "mean_exec_time", "max": "max_exec_time",
				"read_time": "blk_read_time", "write_time": "blk_write_time"},
		},
		"PostgreSQL 17": {
			columns: append(base, "total_exec_time", "mean_exec_time", "max_exec_time",
				"shared_blk_read_time", "shared_blk_write_time", "local_blk_read_time", "temp_blk_read_time"),
			want: map[string]string{"total": "total_exec_time", "mean": "mean_exec_time", "max": "max_exec_time",
				"read_time": "shared_blk_read_time", "write_time": "shared_blk_write_time"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := resolveStatementColumns(c.columns)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestResolveStatementColumnsMissing(t *testing.T) {
	t.Parallel()
	_, err := resolveStatementColumns([]string{"query", "calls", "total_exec_time"})
	var statementsErr *StatementsError
	require.ErrorAs(t, err, &statementsErr)
	require.Equal(t, StatementsMissingColumn, statementsErr.Problem)
}

func TestClassifyStatementsErrorNotPreloaded(t *testing.T) {
	t.Parallel()
	serverErr := errors.New(`ERROR: pg_stat_statements must be loaded via "shared_preload_libraries" (SQLSTATE 55000)`)

	err := classifyStatementsError(serverErr)
	var statementsErr *StatementsError
	require.ErrorAs(t, err, &statementsErr)
	require.Equal(t, StatementsNotPreloaded, statementsErr.Problem)
	require.ErrorIs(t, err, serverErr)
}
