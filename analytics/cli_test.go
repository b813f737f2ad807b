package analytics_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/analytics"
	"github.com/forgedb/forge/internal/cli"
	"github.com/forgedb/forge/internal/pgtest"
)

// runForge runs the forge command against db and returns its exit code, stdout and stderr.
func runForge(t *testing.T, db *pgtest.DB, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append(args, "--database-url", db.URL)
	code := cli.Main(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCommandCheckPassesCleanDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedSmall(t, db)

	code, stdout, stderr := runForge(t, db, "analytics", "check")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	require.Contains(t, stdout, "PASS    Invalid indexes")
	require.NotContains(t, stdout, "FAIL")
}

func TestCommandCheckFailsPlantedProblem(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedSmall(t, db)
	exec(t, db, `CREATE INDEX planted_prefix_idx ON orders (user_id)`)

	code, stdout, stderr := runForge(t, db, "analytics", "check")
	require.Equal(t, 2, code)
	require.Contains(t, stdout, "FAIL    Duplicate and redundant indexes")
	require.Contains(t, stdout, "DROP INDEX CONCURRENTLY planted_prefix_idx")
	require.Contains(t, stdout, "remedy: drop the redundant index")
	require.Contains(t, stderr, "1 of 13 health checks failed")
}

func TestCommandCheckJSON(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	exec(t, db, `CREATE TABLE reviews (id bigint PRIMARY KEY, product_id bigint REFERENCES products (id))`)

	code, stdout, _ := runForge(t, db, "analytics", "check", "--format", "json")
	require.Equal(t, 2, code)
	var report struct {
		Status analytics.Status        `json:"status"`
		Checks []analytics.CheckResult `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &report))
	require.Equal(t, analytics.StatusFail, report.Status)
	require.Len(t, report.Checks, len(analytics.CheckNames()))
	for _, c := range report.Checks {
		if c.Name == "foreign_keys_without_index" {
			require.Equal(t, analytics.StatusFail, c.Status)
			require.NotEmpty(t, c.Remedy)
		}
	}
}

func TestCommandCheckCSV(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	code, stdout, _ := runForge(t, db, "analytics", "check", "--format", "csv")
	require.Equal(t, 0, code)
	records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"check", "status", "object", "detail", "summary", "remedy"}, records[0])
	require.GreaterOrEqual(t, len(records)-1, len(analytics.CheckNames()))
}

func TestCommandCustomersJSON(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)

	code, stdout, stderr := runForge(t, db, "analytics", "customers", "--format", "json")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	var got []analytics.CustomerMetric
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	requireCustomers(t, fx.expected, got)
}

func TestCommandCustomersCursorPaging(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)

	code, stdout, _ := runForge(t, db, "analytics", "customers", "--limit", "3", "--cursor")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	require.True(t, strings.HasPrefix(last, "next page: --after "), last)
	cursor := strings.TrimPrefix(last, "next page: --after ")

	code, stdout, _ = runForge(t, db, "analytics", "customers", "--after", cursor, "--format", "json")
	require.Equal(t, 0, code)
	var got []analytics.CustomerMetric
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	requireCustomers(t, fx.expected[3:], got)
}

func TestCommandCustomersCSV(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedReport(t, db)

	code, stdout, _ := runForge(t, db, "analytics", "customers", "--tier", "regular", "--format", "csv")
	require.Equal(t, 0, code)
	records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 2)
	require.Equal(t, "Frank", records[1][1])
	require.Equal(t, "100.11", records[1][4])
	require.Equal(t, "Regular", records[1][6])
}

func TestCommandRejectsInvalidFormat(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	code, _, stderr := runForge(t, db, "analytics", "tiers", "--format", "xml")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `invalid --format "xml"`)
}

func TestCommandReportTables(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedSmall(t, db)

	code, stdout, stderr := runForge(t, db, "analytics", "report")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	for _, title := range []string{
		"== Top customers by lifetime value ==",
		"== Customer tiers",
		"== Statements by total time ==",
		"== Columns with many distinct values and low correlation ==",
		"== Table sizes ==",
	} {
		require.Contains(t, stdout, title)
	}
	require.Contains(t, stdout, "CREATE EXTENSION pg_stat_statements", "remedy in place of the statements table")
}
