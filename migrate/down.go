package migrate

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DownOptions selects how far Down reverts.
type DownOptions struct {
	// Steps reverts this many applied versions, newest first. 0 with an empty To means 1.
	Steps int
	// To reverts every version newer than this one; "0" reverts all.
	To string
	// Force runs down files that drop tables or columns holding data.
	Force bool
	// DryRun returns what would run and changes nothing.
	DryRun bool
	// OnReverted is called after each version, for progress output.
	OnReverted func(Reverted)
}

// Reverted describes one version a Down call reverted (or would revert, in a dry run).
type Reverted struct {
	Version    string
	Name       string
	Statements []string
	Duration   time.Duration
	// Losses lists the data the down file would destroy, in a dry run.
	Losses []string
}

// Loss is data a down file would destroy: a table with rows or a column with values.
type Loss struct {
	Version string
	Data    string // what is lost, for example: table orders (3 rows)
}

// DestructiveError lists what the down files of a Down call would destroy. Down returns it
// before reverting anything.
type DestructiveError struct {
	Losses []Loss
}

func (e *DestructiveError) Error() string {
	parts := make([]string, len(e.Losses))
	for i, l := range e.Losses {
		parts[i] = l.Data + " in " + l.Version
	}
	return fmt.Sprintf("migrate: the down files would destroy data that re-applying the migrations does not bring back: %s; "+
		"back it up and pass --force to revert anyway, or mark a reviewed drop of derived data with "+
		"`-- atlas:nolint DS102` in the down file", strings.Join(parts, ", "))
}

func (e *DestructiveError) Unwrap() error { return ErrDestructive }

// Down reverts applied versions, newest first, with their down files. A version whose down
// file drops a table or column that holds data is refused unless opts.Force is set.
func (m *Migrator) Down(ctx context.Context, opts DownOptions) ([]Reverted, error) {
	if err := m.source.Verify(); err != nil {
		return nil, err
	}
	var out []Reverted
	err := m.withLock(ctx, func(conn *pgxpool.Conn) error {
		targets, err := m.downTargets(ctx, conn, opts)
		if err != nil {
			return err
		}
		// Every down file is loaded and checked before the first one runs, so a refusal
		// leaves the database at the version it had.
		steps := make([]downStep, 0, len(targets))
		var losses []Loss
		for _, rev := range targets {
			step, err := m.prepareRevert(ctx, conn, rev, opts.Force)
			if err != nil {
				return err
			}
			steps = append(steps, step)
			for _, data := range step.losses {
				losses = append(losses, Loss{Version: rev.Version, Data: data})
			}
		}
		if len(losses) > 0 && !opts.DryRun {
			return &DestructiveError{Losses: losses}
		}
		for _, step := range steps {
			r := Reverted{Version: step.rev.Version, Name: step.rev.Description, Statements: step.stmts, Losses: step.losses}
			if !opts.DryRun {
				if r.Duration, err = m.revert(ctx, conn, step); err != nil {
					return err
				}
			}
			out = append(out, r)
			if opts.OnReverted != nil {
				opts.OnReverted(r)
			}
		}
		return nil
	})
	return out, err
}

// downTargets returns the applied revisions to revert, newest first, after checking that the
// history matches the files (the same checks Up makes).
func (m *Migrator) downTargets(ctx context.Context, conn *pgxpool.Conn, opts DownOptions) ([]*Revision, error) {
	p, err := m.plan(ctx, conn, true)
	if err != nil {
		return nil, err
	}
	var applied []*Revision
	for _, rev := range p.revisions {
		if rev.done() || rev.Applied > 0 {
			applied = append(applied, rev)
		}
	}
	sort.Slice(applied, func(i, j int) bool { return applied[i].Version > applied[j].Version })
	switch {
	case opts.To != "":
		if opts.To != "0" && !p.hasVersion(opts.To) {
			return nil, fmt.Errorf("%w: %s is not in %s; run `forge migrate status` for the versions",
				ErrUnknownVersion, opts.To, m.source.origin)
		}
		var targets []*Revision
		for _, rev := range applied {
			if opts.To == "0" || rev.Version > opts.To {
				targets = append(targets, rev)
			}
		}
		return targets, nil
	case opts.Steps > 0:
		return applied[:min(opts.Steps, len(applied))], nil
	default:
		return applied[:min(1, len(applied))], nil
	}
}

func (p *runPlan) hasVersion(v string) bool {
	for _, f := range p.files {
		if f.Version() == v {
			return true
		}
	}
	return false
}

// downStep is a version to revert with its parsed down file.
type downStep struct {
	rev    *Revision
	file   migrate.File
	stmts  []string
	mode   string
	losses []string
}

// prepareRevert loads and checks the down file of rev, and unless force is set, finds the
// data it would destroy.
func (m *Migrator) prepareRevert(ctx context.Context, conn *pgxpool.Conn, rev *Revision, force bool) (downStep, error) {
	step := downStep{rev: rev}
	if rev.Type == revisionBaseline {
		return step, fmt.Errorf("%w: %s is a baseline, adopted from an existing database, and has no down file to run",
			ErrNoDown, rev.Version)
	}
	f, err := m.source.Down(rev.Version)
	if err != nil {
		return step, err
	}
	step.file = f
	if step.stmts, err = f.Stmts(); err != nil {
		return step, fmt.Errorf("migrate: parse down file %s: %w", f.Name(), err)
	}
	if step.mode, err = txMode(f); err != nil {
		return step, err
	}
	if !force {
		decls, err := f.StmtDecls()
		if err != nil {
			return step, fmt.Errorf("migrate: parse down file %s: %w", f.Name(), err)
		}
		if step.losses, err = dataLosses(ctx, conn, decls); err != nil {
			return step, err
		}
	}
	return step, nil
}

// revert runs a prepared down file and returns how long it took.
func (m *Migrator) revert(ctx context.Context, conn *pgxpool.Conn, step downStep) (time.Duration, error) {
	start := time.Now()
	var err error
	if step.mode == txModeNone {
		err = m.revertStatements(ctx, conn, step.file, step.stmts)
	} else {
		err = m.revertInTx(ctx, conn, step.file, step.stmts)
	}
	elapsed := time.Since(start)
	if err != nil {
		return elapsed, err
	}
	m.log.Info("reverted migration", "version", step.rev.Version, "name", step.rev.Description, "duration", elapsed)
	return elapsed, nil
}

func (m *Migrator) revertInTx(ctx context.Context, conn *pgxpool.Conn, f migrate.File, stmts []string) error {
	return m.retryOnLockTimeout(ctx, func() error {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		for i, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return &FileError{Version: f.Version(), File: DownDir + "/" + f.Name(), Statement: s,
					Err: fmt.Errorf("statement %d: %w", i+1, err)}
			}
		}
		if err := deleteRevision(ctx, tx, f.Version()); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// revertStatements runs a txmode-none down file statement by statement. The revision is
// deleted only after the last statement, so a failure leaves the version recorded as applied.
// A rerun after a failure skips the index statements whose work is already done, because
// DROP INDEX CONCURRENTLY of a missing index and CREATE INDEX CONCURRENTLY of an existing one
// would fail.
func (m *Migrator) revertStatements(ctx context.Context, conn *pgxpool.Conn, f migrate.File, stmts []string) error {
	for i, s := range stmts {
		done, err := indexStatementDone(ctx, conn, s)
		if err != nil {
			return err
		}
		if done {
			m.log.Info("skipped down statement whose index work is already done", "file", f.Name(), "statement", i+1)
			continue
		}
		err = m.retryOnLockTimeout(ctx, func() error {
			_, err := conn.Exec(ctx, s)
			return err
		})
		if err != nil {
			m.dropInvalidIndex(ctx, conn, s)
			return &FileError{Version: f.Version(), File: DownDir + "/" + f.Name(), Statement: s, Applied: i,
				Err: fmt.Errorf("statement %d: %w", i+1, err)}
		}
	}
	return deleteRevision(ctx, conn, f.Version())
}

// indexStatementDone reports whether stmt drops an index that no longer exists, or creates
// one that exists and is valid.
func indexStatementDone(ctx context.Context, conn *pgxpool.Conn, stmt string) (bool, error) {
	name, wantExists := droppedIndexName(stmt), false
	if name == "" {
		name, wantExists = concurrentIndexName(stmt), true
	}
	if name == "" {
		return false, nil
	}
	var valid *bool
	err := conn.QueryRow(ctx, `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname = $1 AND n.nspname = current_schema()`, name).Scan(&valid)
	if err != nil && !isNoRows(err) {
		return false, fmt.Errorf("migrate: look up index %s: %w", name, err)
	}
	exists := valid != nil
	if wantExists {
		return exists && *valid, nil
	}
	return !exists, nil
}

func deleteRevision(ctx context.Context, db dbtx, version string) error {
	_, err := db.Exec(ctx, `DELETE FROM "atlas_schema_revisions"."atlas_schema_revisions" WHERE version = $1`, version)
	if err != nil {
		return fmt.Errorf("migrate: delete revision %s: %w", version, err)
	}
	return nil
}

var (
	dropTable  = regexp.MustCompile(`(?is)^\s*drop\s+table\s+(?:if\s+exists\s+)?(.+?)\s*(?:cascade|restrict)?\s*;?\s*$`)
	alterTable = regexp.MustCompile(`(?is)^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?("(?:[^"]|"")+"|[\w.]+)\s+(.*)$`)
	dropColumn = regexp.MustCompile(`(?is)\bdrop\s+column\s+(?:if\s+exists\s+)?("(?:[^"]|"")+"|\w+)`)
)

// dataLosses returns the tables with rows and the columns with non-null values that stmts
// would drop. A statement marked `-- atlas:nolint` for DS102, DS103 or destructive (a
// reviewed drop of derived data, which the up migration rebuilds) is skipped.
func dataLosses(ctx context.Context, conn *pgxpool.Conn, stmts []*migrate.Stmt) ([]string, error) {
	var losses []string
	for _, stmt := range stmts {
		if reviewedDrop(stmt) {
			continue
		}
		s := stmt.Text
		if m := dropTable.FindStringSubmatch(s); m != nil {
			for _, name := range splitIdentifiers(m[1]) {
				n, err := countRows(ctx, conn, name, "")
				if err != nil {
					return nil, err
				}
				if n != "" {
					losses = append(losses, fmt.Sprintf("table %s (%s)", name, plural(n, "row")))
				}
			}
			continue
		}
		m := alterTable.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		for _, col := range dropColumn.FindAllStringSubmatch(m[2], -1) {
			n, err := countRows(ctx, conn, unquote(m[1]), unquote(col[1]))
			if err != nil {
				return nil, err
			}
			if n != "" {
				losses = append(losses, fmt.Sprintf("column %s.%s (%s)", unquote(m[1]), unquote(col[1]), plural(n, "non-null value")))
			}
		}
	}
	return losses, nil
}

func reviewedDrop(stmt *migrate.Stmt) bool {
	for _, args := range stmt.Directive("nolint") {
		fields := strings.Fields(args)
		if len(fields) == 0 {
			return true
		}
		for _, f := range fields {
			if f == "DS102" || f == "DS103" || f == "destructive" {
				return true
			}
		}
	}
	return false
}

func plural(count, noun string) string {
	if count == "1" {
		return count + " " + noun
	}
	return count + " " + noun + "s"
}

// countRows counts the rows of table, or its rows where column is not null, up to a limit so a
// large table costs no full scan. It returns "" for none, and "1000+" past the limit. A table
// that does not exist counts as empty: the down file then fails with PostgreSQL's own message.
func countRows(ctx context.Context, conn *pgxpool.Conn, table, column string) (string, error) {
	const limit = 1000
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{table}.Sanitize()).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		return "", nil
	}
	q := "SELECT 1 FROM " + pgx.Identifier{table}.Sanitize()
	if column != "" {
		q += " WHERE " + pgx.Identifier{column}.Sanitize() + " IS NOT NULL"
	}
	var n int
	if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM (%s LIMIT %d) t", q, limit+1)).Scan(&n); err != nil {
		return "", fmt.Errorf("migrate: count rows of %s: %w", table, err)
	}
	switch {
	case n == 0:
		return "", nil
	case n > limit:
		return fmt.Sprintf("%d+", limit), nil
	default:
		return fmt.Sprint(n), nil
	}
}

func splitIdentifiers(list string) []string {
	var out []string
	for _, part := range strings.Split(list, ",") {
		if name := unquote(strings.TrimSpace(part)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func unquote(name string) string {
	if strings.HasPrefix(name, `"`) && strings.HasSuffix(name, `"`) && len(name) >= 2 {
		return strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
	}
	return strings.ToLower(name)
}
