package migrate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

// TestUpDownUpSchemaAtEveryLevel migrates the embedded files up one at a time, down to zero
// and up again, and checks that each level has the same schema both ways.
func TestUpDownUpSchemaAtEveryLevel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)
	levels := len(embeddedVersions(t))

	schemas := make([]string, levels+1)
	schemas[0], err = pgtest.DescribeSchema(ctx, db.Pool)
	require.NoError(t, err)
	for level := 1; level <= levels; level++ {
		res, err := m.UpWith(ctx, migrate.UpOptions{Steps: 1})
		require.NoError(t, err)
		require.Len(t, res.Applied, 1)
		schemas[level], err = pgtest.DescribeSchema(ctx, db.Pool)
		require.NoError(t, err)
		require.NotEqual(t, schemas[level-1], schemas[level], "version %s changed nothing", res.Applied[0].Version)
	}

	for level := levels - 1; level >= 0; level-- {
		reverted, err := m.Down(ctx, migrate.DownOptions{Steps: 1})
		require.NoError(t, err)
		require.Len(t, reverted, 1)
		got, err := pgtest.DescribeSchema(ctx, db.Pool)
		require.NoError(t, err)
		require.Equal(t, schemas[level], got, "schema after reverting %s", reverted[0].Version)
	}
	require.Zero(t, revisionCount(t, db.Pool))

	_, err = m.Up(ctx)
	require.NoError(t, err)
	got, err := pgtest.DescribeSchema(ctx, db.Pool)
	require.NoError(t, err)
	require.Equal(t, schemas[levels], got)
}

func TestDownToZeroAndBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)
	before, err := pgtest.DescribeSchema(ctx, db.Pool)
	require.NoError(t, err)

	reverted, err := m.Down(ctx, migrate.DownOptions{To: "0"})
	require.NoError(t, err)
	require.Len(t, reverted, len(embeddedVersions(t)))
	require.False(t, tableExists(t, db.Pool, "users"))

	_, err = m.Up(ctx)
	require.NoError(t, err)
	after, err := pgtest.DescribeSchema(ctx, db.Pool)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

func TestDownRefusesToDestroyData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int PRIMARY KEY, body text);", "DROP TABLE notes;"},
		migration{"note_title", "ALTER TABLE notes ADD COLUMN title text;", "ALTER TABLE notes DROP COLUMN title;"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err := m.Up(ctx)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO notes VALUES (1, 'keep me', 'title')`)
	require.NoError(t, err)

	_, err = m.Down(ctx, migrate.DownOptions{})
	require.ErrorIs(t, err, migrate.ErrDestructive)
	require.ErrorContains(t, err, "column notes.title (1 non-null value) in 02")
	require.ErrorContains(t, err, "--force")
	require.Equal(t, 2, revisionCount(t, db.Pool))

	_, err = m.Down(ctx, migrate.DownOptions{Steps: 2, Force: true})
	require.NoError(t, err)
	require.False(t, tableExists(t, db.Pool, "notes"))
	require.Zero(t, revisionCount(t, db.Pool))
}

func TestDownRefusesDroppingTableWithRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"})
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err := m.Up(ctx)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO notes SELECT generate_series(1, 1500)`)
	require.NoError(t, err)

	_, err = m.Down(ctx, migrate.DownOptions{})

	var de *migrate.DestructiveError
	require.ErrorAs(t, err, &de)
	require.Equal(t, []migrate.Loss{{Version: "01", Data: "table notes (1000+ rows)"}}, de.Losses)
	require.True(t, tableExists(t, db.Pool, "notes"))
}

func TestDownMissingOrEmptyFileIsAnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, down := range map[string]string{"missing": "", "empty": "-- nothing to undo\n"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.NewEmpty(t)
			dir := writeDir(t, migration{"notes", "CREATE TABLE notes (id int);", down})
			m := newMigrator(t, db.Pool, dir, migrate.Config{})
			_, err := m.Up(ctx)
			require.NoError(t, err)

			_, err = m.Down(ctx, migrate.DownOptions{})
			require.ErrorIs(t, err, migrate.ErrNoDown)
			require.True(t, tableExists(t, db.Pool, "notes"))
		})
	}
}

func TestDownToUnknownVersionRejected(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)

	_, err = m.Down(context.Background(), migrate.DownOptions{To: "19990101000000"})
	require.ErrorIs(t, err, migrate.ErrUnknownVersion)
}

func TestDownDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	m, err := migrate.New(db.Pool, nil)
	require.NoError(t, err)

	reverted, err := m.Down(ctx, migrate.DownOptions{To: "0", DryRun: true})
	require.NoError(t, err)
	require.Len(t, reverted, len(embeddedVersions(t)))
	require.NotEmpty(t, reverted[0].Statements)
	require.Equal(t, len(embeddedVersions(t)), revisionCount(t, db.Pool))
	require.True(t, tableExists(t, db.Pool, "users"))
}

func TestDownChecksEveryVersionBeforeReverting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"},
		migration{"tags", "CREATE TABLE tags (id int);", "DROP TABLE tags;"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err := m.Up(ctx)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO notes VALUES (1)`)
	require.NoError(t, err)

	_, err = m.Down(ctx, migrate.DownOptions{To: "0"})
	require.ErrorIs(t, err, migrate.ErrDestructive)
	require.True(t, tableExists(t, db.Pool, "tags"), "the clean newer version must not be reverted either")
	require.Equal(t, 2, revisionCount(t, db.Pool))

	plan, err := m.Down(ctx, migrate.DownOptions{To: "0", DryRun: true})
	require.NoError(t, err)
	require.Len(t, plan, 2)
	require.Empty(t, plan[0].Losses)
	require.Equal(t, []string{"table notes (1 row)"}, plan[1].Losses)
}

func TestDownAllowsReviewedDropOfDerivedTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"totals",
		"CREATE TABLE totals (id int);",
		"-- The table is rebuilt from its sources by the up migration.\n-- atlas:nolint DS102\nDROP TABLE totals;"})
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err := m.Up(ctx)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO totals VALUES (1)`)
	require.NoError(t, err)

	_, err = m.Down(ctx, migrate.DownOptions{})
	require.NoError(t, err)
	require.False(t, tableExists(t, db.Pool, "totals"))
}

func TestNoTxDownResumesAfterFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	const header = "-- atlas:txmode none\n\n"
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int, body text);", "DROP TABLE notes;"},
		migration{"indexes",
			header + "CREATE INDEX CONCURRENTLY notes_id_idx ON notes (id);\nCREATE INDEX CONCURRENTLY notes_body_idx ON notes (body);\n",
			header + "DROP INDEX CONCURRENTLY notes_body_idx;\nSELECT 1 / 0;\nDROP INDEX CONCURRENTLY notes_id_idx;\n"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err := m.Up(ctx)
	require.NoError(t, err)

	_, err = m.Down(ctx, migrate.DownOptions{})
	var fe *migrate.FileError
	require.ErrorAs(t, err, &fe)
	require.Contains(t, fe.Statement, "SELECT 1 / 0")
	require.False(t, tableExists(t, db.Pool, "notes_body_idx"), "the first statement committed on its own")
	require.Equal(t, 2, revisionCount(t, db.Pool), "the version stays applied until its down file completes")

	// Fix the down file; the rerun skips the index that is already gone.
	path := filepath.Join(dir, migrate.DownDir, "02_indexes.sql")
	require.NoError(t, os.WriteFile(path, []byte(header+"DROP INDEX CONCURRENTLY notes_body_idx;\nDROP INDEX CONCURRENTLY notes_id_idx;\n"), 0o644))
	require.NoError(t, migrate.WriteSums(dir))
	m = newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err = m.Down(ctx, migrate.DownOptions{})
	require.NoError(t, err)
	require.False(t, tableExists(t, db.Pool, "notes_id_idx"))
	require.Equal(t, 1, revisionCount(t, db.Pool))
}
