package lint_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
	"github.com/forgedb/forge/migrate/lint"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// base creates the existing table every hazard file changes.
const base = `CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(100) NOT NULL, parent_id bigint,
	CONSTRAINT accounts_parent_fk FOREIGN KEY (parent_id) REFERENCES accounts (id));
`

// lintFile lints hazard as the second file of a directory whose first file is base.
func lintFile(t *testing.T, hazard string) []lint.Finding {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "1_base.sql"), []byte(base), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2_change.sql"), []byte(hazard), 0o644))
	require.NoError(t, migrate.WriteSums(dir))
	src, err := migrate.Load(os.DirFS(dir), dir)
	require.NoError(t, err)

	findings, err := lint.Run(context.Background(), pgtest.AdminURL(), src, lint.Options{Latest: 1})
	if err != nil {
		require.ErrorIs(t, err, lint.ErrFindings)
	}
	return findings
}

func codes(findings []lint.Finding) []string {
	var out []string
	for _, f := range findings {
		out = append(out, f.Code)
	}
	return out
}

func find(t *testing.T, findings []lint.Finding, code string) lint.Finding {
	t.Helper()
	for _, f := range findings {
		if f.Code == code {
			return f
		}
	}
	t.Fatalf("no finding %s in %v", code, findings)
	return lint.Finding{}
}

func TestLintRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, code string
		severity         lint.Severity
		line             int
	}{
		{"index without concurrently", "SET LOCAL lock_timeout = '5s';\nCREATE INDEX accounts_name_idx ON accounts (name);\n",
			"FG101", lint.Error, 2},
		{"concurrently in transaction", "CREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);\n",
			"FG102", lint.Error, 1},
		{"not null without default", "ALTER TABLE accounts ADD COLUMN email text NOT NULL;\n",
			"FG103", lint.Error, 1},
		{"check without not valid", "ALTER TABLE accounts ADD CONSTRAINT accounts_name_check CHECK (name <> '');\n",
			"FG104", lint.Error, 1},
		{"foreign key without not valid", "ALTER TABLE accounts ADD COLUMN owner_id bigint REFERENCES accounts (id);\n",
			"FG104", lint.Error, 1},
		{"type change rewrites", "ALTER TABLE accounts ALTER COLUMN name TYPE integer USING 0;\n",
			"FG105", lint.Error, 1},
		{"volatile default", "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
			"FG106", lint.Error, 1},
		{"missing lock timeout", "\nALTER TABLE accounts ADD COLUMN note text;\n",
			"FG107", lint.Warning, 2},
		{"destructive drop table", "DROP TABLE accounts;\n",
			"DS102", lint.Error, 1},
		{"destructive drop column", "ALTER TABLE accounts DROP COLUMN name;\n",
			"DS103", lint.Error, 1},
		{"data dependent not null", "ALTER TABLE accounts ADD COLUMN email text NOT NULL;\n",
			"MF103", lint.Warning, 1},
		{"dropped foreign key", "ALTER TABLE accounts DROP CONSTRAINT accounts_parent_fk;\n",
			"CD101", lint.Warning, 1},
		{"backward incompatible rename", "ALTER TABLE accounts RENAME COLUMN name TO full_name;\n",
			"BC102", lint.Warning, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			findings := lintFile(t, tc.file)

			f := find(t, findings, tc.code)
			require.Equal(t, tc.severity, f.Severity)
			require.Equal(t, "2_change.sql", f.File)
			require.Equal(t, tc.line, f.Line)
			require.NotEmpty(t, f.Fix, "finding %s has no fix", tc.code)
		})
	}
}

func TestLintSafeChangesHaveNoErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"concurrent index": "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);\n",
		"wider varchar":    "SET LOCAL lock_timeout = '5s';\nALTER TABLE accounts ALTER COLUMN name TYPE varchar(200);\n",
		"stable default":   "SET LOCAL lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();\n",
		"check not valid": "SET LOCAL lock_timeout = '5s';\n" +
			"ALTER TABLE accounts ADD CONSTRAINT accounts_name_check CHECK (name <> '') NOT VALID;\n",
		"new table": "CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL);\nCREATE INDEX notes_body_idx ON notes (body);\n",
	}
	for name, file := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			findings := lintFile(t, file)

			require.Empty(t, findings)
		})
	}
}

func TestLintNolintSilencesReviewedStatement(t *testing.T) {
	t.Parallel()
	findings := lintFile(t, "SET LOCAL lock_timeout = '5s';\n-- atlas:nolint FG101\nCREATE INDEX accounts_name_idx ON accounts (name);\n")

	require.NotContains(t, codes(findings), "FG101")
}

func TestLintInvalidStatementReported(t *testing.T) {
	t.Parallel()
	findings := lintFile(t, "ALTER TABLE missing ADD COLUMN x int;\n")

	f := find(t, findings, "FG100")
	require.Equal(t, lint.Error, f.Severity)
	require.Contains(t, f.Message, `relation "missing" does not exist`)
}

func TestLintEmbeddedMigrationsHaveNoErrors(t *testing.T) {
	t.Parallel()
	src, err := migrate.Embedded()
	require.NoError(t, err)

	findings, err := lint.Run(context.Background(), pgtest.AdminURL(), src, lint.Options{})
	require.NoError(t, err, "findings: %v", findings)
}
