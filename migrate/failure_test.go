package migrate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

func TestFailedTransactionalFileLeavesLastGoodVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"},
		migration{"broken", "CREATE TABLE tags (id int);\nALTER TABLE missing ADD COLUMN x int;", "DROP TABLE tags;"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{})

	_, err := m.Up(ctx)
	var fe *migrate.FileError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "02_broken.sql", fe.File)
	require.Contains(t, fe.Statement, "ALTER TABLE missing")
	require.True(t, tableExists(t, db.Pool, "notes"))
	require.False(t, tableExists(t, db.Pool, "tags"), "the failed file's transaction must roll back")

	st, err := m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateApplied, st[0].State)
	require.Equal(t, migrate.StateFailed, st[1].State)
	require.Contains(t, st[1].Error, `relation "missing" does not exist`)
	require.Contains(t, st[1].ErrorStmt, "ALTER TABLE missing")

	// The fix is an edit of the failed (never applied) file; the next run continues.
	fixed := filepath.Join(dir, "02_broken.sql")
	require.NoError(t, os.WriteFile(fixed, []byte("CREATE TABLE tags (id int);\n"), 0o644))
	require.NoError(t, migrate.WriteSums(dir))
	m = newMigrator(t, db.Pool, dir, migrate.Config{})
	res, err := m.Up(ctx)
	require.NoError(t, err)
	require.Len(t, res.Applied, 1)
	require.True(t, tableExists(t, db.Pool, "tags"))
	st, err = m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateApplied, st[1].State)
	require.Empty(t, st[1].Error)
}

func TestNoTxFileResumesAfterLastCommittedStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	const header = "-- atlas:txmode none\n\n"
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int, body text);\nINSERT INTO notes VALUES (1, 'a'), (1, 'b');", "DROP TABLE notes;"},
		migration{"indexes", header +
			"CREATE INDEX CONCURRENTLY notes_body_idx ON notes (body);\n" +
			"CREATE UNIQUE INDEX CONCURRENTLY notes_id_key ON notes (id);\n" +
			"CREATE INDEX CONCURRENTLY notes_id_body_idx ON notes (id, body);\n",
			header + "DROP INDEX CONCURRENTLY notes_id_body_idx;\nDROP INDEX CONCURRENTLY notes_id_key;\nDROP INDEX CONCURRENTLY notes_body_idx;\n"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{})

	_, err := m.Up(ctx)
	var fe *migrate.FileError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, 1, fe.Applied)
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr))
	require.Equal(t, "23505", pgErr.Code)
	require.True(t, tableExists(t, db.Pool, "notes_body_idx"), "the committed first statement stays")
	require.False(t, tableExists(t, db.Pool, "notes_id_key"), "the failed concurrent build must leave no invalid index")
	st, err := m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateFailed, st[1].State)
	require.Equal(t, 1, st[1].Applied)
	require.Equal(t, 3, st[1].Total)

	// Fix the data, not the file: the run continues with the second statement.
	_, err = db.Pool.Exec(ctx, `DELETE FROM notes WHERE body = 'b'`)
	require.NoError(t, err)
	res, err := m.Up(ctx)
	require.NoError(t, err)
	require.Len(t, res.Applied, 1)
	require.True(t, tableExists(t, db.Pool, "notes_id_key"))
	require.True(t, tableExists(t, db.Pool, "notes_id_body_idx"))
	st, err = m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateApplied, st[1].State)
}

func TestNoTxFileEditedBeforeResumeRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	const header = "-- atlas:txmode none\n\n"
	dir := writeDir(t, migration{"steps", header + "CREATE TABLE a (id int);\nCREATE TABLE a (id int);\n", "DROP TABLE a;"})
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err := m.Up(ctx)
	require.Error(t, err)

	path := filepath.Join(dir, "01_steps.sql")
	require.NoError(t, os.WriteFile(path, []byte(header+"CREATE TABLE z (id int);\nCREATE TABLE b (id int);\n"), 0o644))
	require.NoError(t, migrate.WriteSums(dir))
	m = newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err = m.Up(ctx)

	require.ErrorIs(t, err, migrate.ErrModified)
	require.ErrorContains(t, err, "statement 1 was applied by an earlier run")
}

func TestConcurrentlyInTransactionalFileRejectedBeforeRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"},
		migration{"index", "CREATE INDEX CONCURRENTLY notes_id_idx ON notes (id);", "DROP INDEX notes_id_idx;"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{})

	_, err := m.Up(ctx)
	require.ErrorIs(t, err, migrate.ErrTxMode)
	require.ErrorContains(t, err, "02_index.sql")
	require.False(t, tableExists(t, db.Pool, "notes"), "no file may run when a pending file is invalid")
}

func TestUnknownTxModeRejected(t *testing.T) {
	t.Parallel()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"notes", "-- atlas:txmode sometimes\n\nCREATE TABLE notes (id int);", "DROP TABLE notes;"})
	m := newMigrator(t, db.Pool, dir, migrate.Config{})

	_, err := m.Up(context.Background())
	require.ErrorIs(t, err, migrate.ErrTxMode)
	require.ErrorContains(t, err, `txmode "sometimes"`)
}

func TestEditedAppliedFileDetectedAfterRehash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"})
	_, err := newMigrator(t, db.Pool, dir, migrate.Config{}).Up(ctx)
	require.NoError(t, err)

	path := filepath.Join(dir, "01_notes.sql")
	require.NoError(t, os.WriteFile(path, []byte("CREATE TABLE notes (id bigint);"), 0o644))
	require.NoError(t, migrate.WriteSums(dir))
	_, err = newMigrator(t, db.Pool, dir, migrate.Config{}).Up(ctx)

	require.ErrorIs(t, err, migrate.ErrModified)
	require.ErrorContains(t, err, "01_notes.sql was edited after it was applied")
}

func TestTamperedSumRefusedBeforeRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"})
	path := filepath.Join(dir, "01_notes.sql")
	require.NoError(t, os.WriteFile(path, []byte("CREATE TABLE notes (id int); DROP TABLE users;"), 0o644))

	_, err := newMigrator(t, db.Pool, dir, migrate.Config{}).Up(ctx)

	require.ErrorIs(t, err, migrate.ErrChecksum)
	require.ErrorContains(t, err, "01_notes.sql was edited")
	require.False(t, tableExists(t, db.Pool, "notes"))
}

func TestMissingAppliedFileReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"},
		migration{"tags", "CREATE TABLE tags (id int);", "DROP TABLE tags;"},
	)
	_, err := newMigrator(t, db.Pool, dir, migrate.Config{}).Up(ctx)
	require.NoError(t, err)

	require.NoError(t, os.Remove(filepath.Join(dir, "02_tags.sql")))
	require.NoError(t, os.Remove(filepath.Join(dir, migrate.DownDir, "02_tags.sql")))
	require.NoError(t, migrate.WriteSums(dir))
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err = m.Up(ctx)

	require.ErrorIs(t, err, migrate.ErrMissingFile)
	require.ErrorContains(t, err, "version 02 (tags)")
	st, err := m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateMissing, st[1].State)
}

func TestBaselineSkipsOlderFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	_, err := db.Pool.Exec(ctx, "CREATE TABLE notes (id int)")
	require.NoError(t, err)
	dir := writeDir(t,
		migration{"notes", "CREATE TABLE notes (id int);", "DROP TABLE notes;"},
		migration{"tags", "CREATE TABLE tags (id int);", "DROP TABLE tags;"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	_, err = m.Up(ctx)
	require.ErrorIs(t, err, migrate.ErrNotClean)

	require.NoError(t, m.Baseline(ctx, "01"))
	res, err := m.Up(ctx)
	require.NoError(t, err)
	require.Len(t, res.Applied, 1)
	require.Equal(t, "02", res.Applied[0].Version)
	st, err := m.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, migrate.StateBaseline, st[0].State)
	require.ErrorContains(t, m.Baseline(ctx, "01"), "already has 2 recorded versions")
}

func TestLockWaitTimesOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	holder, err := db.Pool.Acquire(ctx)
	require.NoError(t, err)
	defer holder.Release()
	m, err := migrate.New(db.Pool, &migrate.Config{LockWait: 300 * time.Millisecond})
	require.NoError(t, err)
	key := lockKeyOf(t, db.URL)
	_, err = holder.Exec(ctx, "SELECT pg_advisory_lock($1)", key)
	require.NoError(t, err)

	_, err = m.Up(ctx)
	require.ErrorIs(t, err, migrate.ErrLockTimeout)
	require.ErrorContains(t, err, "--lock-wait")

	_, err = holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", key)
	require.NoError(t, err)
	_, err = m.Up(ctx)
	require.NoError(t, err)
}

// lockKeyOf finds the advisory lock key a run takes by watching pg_locks during a dry run of
// nothing: the key is not exported, so the test reads it from a real run instead.
func lockKeyOf(t *testing.T, url string) int64 {
	t.Helper()
	ctx := context.Background()
	probe := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"sleep", "SELECT pg_sleep(0.5);", "SELECT 1;"})
	m := newMigrator(t, probe.Pool, dir, migrate.Config{})
	done := make(chan error, 1)
	go func() { _, err := m.Up(ctx); done <- err }()
	var key int64
	require.Eventually(t, func() bool {
		err := probe.Pool.QueryRow(ctx, `SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
			WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&key)
		return err == nil
	}, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, <-done)
	return key
}

func TestCancelledRunReleasesLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t, migration{"slow", "SELECT pg_sleep(30);", "SELECT 1;"})
	m := newMigrator(t, db.Pool, dir, migrate.Config{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := m.Up(runCtx); done <- err }()
	require.Eventually(t, func() bool {
		var n int
		_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'`).Scan(&n)
		return n > 0
	}, 5*time.Second, 20*time.Millisecond)

	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	var locks int
	require.Eventually(t, func() bool {
		require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'`).Scan(&locks))
		return locks == 0
	}, 5*time.Second, 20*time.Millisecond)
}

func TestLockTimeoutRetriedThenReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	dir := writeDir(t,
		migration{"busy", "CREATE TABLE busy (id int);", "DROP TABLE busy;"},
		migration{"alter", "ALTER TABLE busy ADD COLUMN note text;", "ALTER TABLE busy DROP COLUMN note;"},
	)
	m := newMigrator(t, db.Pool, dir, migrate.Config{LockTimeout: 50 * time.Millisecond, LockRetries: 1})
	_, err := m.UpWith(ctx, migrate.UpOptions{Steps: 1})
	require.NoError(t, err)

	holder, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	_, err = holder.Exec(ctx, "LOCK TABLE busy IN ACCESS SHARE MODE")
	require.NoError(t, err)
	_, err = m.Up(ctx)
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "got %v", err)
	require.Equal(t, "55P03", pgErr.Code)
	require.NoError(t, holder.Rollback(ctx))

	_, err = m.Up(ctx)
	require.NoError(t, err)
}
