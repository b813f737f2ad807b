// Package migrate applies Forge's versioned migrations, which are Atlas-format files embedded
// in the binary, and records them in the revision table the Atlas CLI uses.
//
// A run holds a session-level advisory lock, so replicas that start at once apply each file
// exactly once. Every file runs in its own transaction unless its header says
// `-- atlas:txmode none`; then each statement commits on its own and progress is recorded
// after each one, so the next run continues where a failed run stopped.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OperatorVersion is written to the revision table's operator_version column.
const OperatorVersion = "forge"

// Config tunes a Migrator. A nil Config or any zero field takes the default.
type Config struct {
	// Source is the migration directory. Default: the embedded migrations.
	Source *Source
	// LockWait bounds how long a run waits for another run's lock. Default: 5 minutes.
	LockWait time.Duration
	// LockTimeout is PostgreSQL's lock_timeout for migration statements: a statement that
	// waits longer for a table lock fails instead of queueing the application's queries
	// behind it. Default: 5 seconds.
	LockTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for migration statements.
	// Default: 30 minutes, room for index builds on large tables.
	StatementTimeout time.Duration
	// LockRetries is how often a statement or file that hit LockTimeout is retried, with a
	// doubling pause starting at one second. Default: 3.
	LockRetries int
	// Logger receives one event per applied file. Default: discard.
	Logger *slog.Logger
}

// Migrator applies and reports migrations on one database.
type Migrator struct {
	pool   *pgxpool.Pool
	source *Source
	cfg    Config
	log    *slog.Logger
}

// New returns a Migrator for the database behind pool.
func New(pool *pgxpool.Pool, cfg *Config) (*Migrator, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.LockWait <= 0 {
		c.LockWait = 5 * time.Minute
	}
	if c.LockTimeout <= 0 {
		c.LockTimeout = 5 * time.Second
	}
	if c.StatementTimeout <= 0 {
		c.StatementTimeout = 30 * time.Minute
	}
	if c.LockRetries <= 0 {
		c.LockRetries = 3
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Source == nil {
		src, err := Embedded()
		if err != nil {
			return nil, err
		}
		c.Source = src
	}
	return &Migrator{pool: pool, source: c.Source, cfg: c, log: c.Logger}, nil
}

// Applied describes one file a run applied (or would apply, in a dry run).
type Applied struct {
	Version    string
	Name       string
	Statements int
	Duration   time.Duration
	// SQL holds the file's statements in a dry run.
	SQL []string
	// TxMode is "file" (one transaction) or "none" (statement by statement).
	TxMode string
}

// UpResult lists the files an Up call applied; it is empty when nothing was pending.
type UpResult struct {
	Applied []Applied
}

// UpOptions limits an Up call.
type UpOptions struct {
	// Steps applies at most this many pending files; 0 applies all.
	Steps int
	// OnApplied is called after each file, for progress output.
	OnApplied func(Applied)
	// DryRun returns the pending files with their statements and changes nothing. It takes
	// no lock, so another run may apply the files meanwhile.
	DryRun bool
}

// Up applies every pending migration file in version order.
func (m *Migrator) Up(ctx context.Context) (*UpResult, error) {
	return m.UpWith(ctx, UpOptions{})
}

// UpWith applies pending migration files as opts allows.
func (m *Migrator) UpWith(ctx context.Context, opts UpOptions) (*UpResult, error) {
	if err := m.source.Verify(); err != nil {
		return nil, err
	}
	res := &UpResult{}
	if opts.DryRun {
		return m.dryRun(ctx, opts)
	}
	err := m.withLock(ctx, func(conn *pgxpool.Conn) error {
		plan, err := m.plan(ctx, conn, true)
		if err != nil {
			return err
		}
		for i, step := range plan.pending {
			if opts.Steps > 0 && i >= opts.Steps {
				break
			}
			applied, err := m.apply(ctx, conn, step)
			if err != nil {
				return err
			}
			res.Applied = append(res.Applied, applied)
			if opts.OnApplied != nil {
				opts.OnApplied(applied)
			}
		}
		return nil
	})
	return res, err
}

// pendingFile is a file to apply, and the revision of an earlier failed attempt if any.
type pendingFile struct {
	file migrate.File
	mode string
	hash string
	prev *Revision
}

type runPlan struct {
	files     []migrate.File
	revisions map[string]*Revision
	pending   []pendingFile
}

// plan reads the history and checks it against the files: every applied file must exist and
// be unchanged, and every pending file must be runnable in its transaction mode. It runs
// nothing, so a bad directory is refused before any statement executes.
func (m *Migrator) plan(ctx context.Context, conn *pgxpool.Conn, create bool) (*runPlan, error) {
	if create {
		if _, err := conn.Exec(ctx, createRevisionTable); err != nil {
			return nil, fmt.Errorf("migrate: create revision table: %w", err)
		}
	}
	revs, err := m.revisionsIfAny(ctx, conn)
	if err != nil {
		return nil, err
	}
	files, err := m.source.Files()
	if err != nil {
		return nil, err
	}
	p := &runPlan{files: files, revisions: revs}
	if err := m.checkClean(ctx, conn, revs); err != nil {
		return nil, err
	}
	byVersion := make(map[string]migrate.File, len(files))
	for _, f := range files {
		byVersion[f.Version()] = f
	}
	for version, rev := range revs {
		if _, ok := byVersion[version]; !ok && rev.done() {
			return nil, fmt.Errorf("%w: version %s (%s) is recorded as applied but has no file in %s; "+
				"restore the file, or run an older Forge build that has it", ErrMissingFile, version, rev.Description,
				m.source.origin)
		}
	}
	baseline := baselineVersion(revs)
	for _, f := range files {
		hash, err := m.source.Sum(f)
		if err != nil {
			return nil, err
		}
		rev := revs[f.Version()]
		if rev == nil && f.Version() <= baseline {
			continue // the database was adopted at a later version
		}
		if rev != nil && rev.done() {
			if rev.Type != revisionBaseline && rev.Hash != hash {
				return nil, fmt.Errorf("%w: %s was edited after it was applied (recorded hash %s, file hash %s); "+
					"restore the applied content and put the change in a new migration",
					ErrModified, f.Name(), rev.Hash, hash)
			}
			continue
		}
		mode, err := txMode(f)
		if err != nil {
			return nil, err
		}
		if rev != nil && rev.Applied > 0 {
			if err := checkPartial(f, rev); err != nil {
				return nil, err
			}
		}
		p.pending = append(p.pending, pendingFile{file: f, mode: mode, hash: hash, prev: rev})
	}
	return p, nil
}

// baselineVersion returns the newest baseline revision, or "" when there is none.
func baselineVersion(revs map[string]*Revision) string {
	var v string
	for _, r := range revs {
		if r.Type == revisionBaseline && r.Version > v {
			v = r.Version
		}
	}
	return v
}

func (m *Migrator) dryRun(ctx context.Context, opts UpOptions) (*UpResult, error) {
	conn, err := m.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	p, err := m.plan(ctx, conn, false)
	if err != nil {
		return nil, err
	}
	res := &UpResult{}
	for i, step := range p.pending {
		if opts.Steps > 0 && i >= opts.Steps {
			break
		}
		stmts, err := step.file.Stmts()
		if err != nil {
			return nil, err
		}
		if step.prev != nil {
			stmts = stmts[step.prev.Applied:]
		}
		res.Applied = append(res.Applied, Applied{
			Version: step.file.Version(), Name: step.file.Desc(), Statements: len(stmts), SQL: stmts, TxMode: step.mode,
		})
	}
	return res, nil
}

// checkClean refuses a database that has tables in public but no history: running the first
// migration there would fail half-way or, worse, succeed on top of an unknown schema.
func (m *Migrator) checkClean(ctx context.Context, conn *pgxpool.Conn, revs map[string]*Revision) error {
	if len(revs) > 0 {
		return nil
	}
	var table string
	err := conn.QueryRow(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1 LIMIT 1`).Scan(&table)
	if err != nil {
		if isNoRows(err) {
			return nil
		}
		return fmt.Errorf("migrate: inspect schema: %w", err)
	}
	return fmt.Errorf("%w: found table %q; if this database already has the schema of some version, "+
		"adopt it with `forge migrate baseline VERSION`, otherwise migrate an empty database", ErrNotClean, table)
}

// checkPartial verifies that the statements a failed run committed are still the file's
// first statements, so resuming after them is safe.
func checkPartial(f migrate.File, rev *Revision) error {
	stmts, err := f.Stmts()
	if err != nil {
		return err
	}
	if rev.Applied > len(stmts) || len(rev.PartialHashes) < rev.Applied {
		return fmt.Errorf("%w: %s: %d statements were applied by an earlier run but the file now has %d; "+
			"restore the file", ErrModified, f.Name(), rev.Applied, len(stmts))
	}
	for i := 0; i < rev.Applied; i++ {
		if stmtHash(stmts[i]) != rev.PartialHashes[i] {
			return fmt.Errorf("%w: %s: statement %d was applied by an earlier run and has since been edited; "+
				"restore it and fix only the statements after it", ErrModified, f.Name(), i+1)
		}
	}
	return nil
}

// withLock runs fn on a dedicated connection that holds the migration advisory lock. The
// lock is session-level, so it covers files that run outside a transaction, and it is
// released even when ctx is cancelled.
func (m *Migrator) withLock(ctx context.Context, fn func(*pgxpool.Conn) error) error {
	conn, err := m.acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()

	deadline := time.Now().Add(m.cfg.LockWait)
	for {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey).Scan(&got); err != nil {
			return fmt.Errorf("migrate: take advisory lock: %w", err)
		}
		if got {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s: advisory lock %d is held by another migration run; "+
				"wait for that run to finish, or raise the wait with --lock-wait", ErrLockTimeout, m.cfg.LockWait, lockKey)
		}
		m.log.Debug("waiting for migration lock", "key", lockKey)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	defer func() {
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(unlockCtx, "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
			// The lock dies with the session: drop the connection rather than return it locked.
			m.log.Warn("release migration lock failed; closing the connection", "err", err)
			_ = conn.Conn().Close(unlockCtx)
		}
	}()
	if err := setTimeouts(ctx, conn, m.cfg); err != nil {
		return err
	}
	defer func() {
		resetCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = conn.Exec(resetCtx, "RESET lock_timeout; RESET statement_timeout")
	}()
	return fn(conn)
}

// acquire returns a pooled connection that passes a ping. After a server restart the pool
// still contains connections to the old server, and each of them fails its ping and is closed.
func (m *Migrator) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	var lastErr error
	for range 3 {
		conn, err := m.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("migrate: acquire connection: %w", err)
		}
		if lastErr = conn.Ping(ctx); lastErr == nil {
			return conn, nil
		}
		_ = conn.Conn().Close(ctx)
		conn.Release()
	}
	return nil, fmt.Errorf("migrate: connect: %w", lastErr)
}

// lockKey is the advisory lock every Forge migration run takes: the FNV-1a hash of
// "forge-migrate", so it does not collide with small integer keys applications use.
var lockKey = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("forge-migrate"))
	return int64(h.Sum64() >> 1)
}()

func setTimeouts(ctx context.Context, conn *pgxpool.Conn, cfg Config) error {
	_, err := conn.Exec(ctx, fmt.Sprintf("SET lock_timeout = %d; SET statement_timeout = %d",
		cfg.LockTimeout.Milliseconds(), cfg.StatementTimeout.Milliseconds()))
	if err != nil {
		return fmt.Errorf("migrate: set timeouts: %w", err)
	}
	return nil
}

func isLockTimeout(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "55P03"
}

func isNoRows(err error) bool {
	return errors.Is(err, pgx.ErrNoRows)
}
