package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// apply runs one file in its transaction mode and records the outcome.
func (m *Migrator) apply(ctx context.Context, conn *pgxpool.Conn, p pendingFile) (Applied, error) {
	stmts, err := p.file.Stmts()
	if err != nil {
		return Applied{}, fmt.Errorf("migrate: parse %s: %w", p.file.Name(), err)
	}
	rev := &Revision{
		Version:     p.file.Version(),
		Description: p.file.Desc(),
		Type:        revisionExecute,
		Total:       len(stmts),
		ExecutedAt:  time.Now(),
		Hash:        p.hash,
		Operator:    OperatorVersion,
	}
	if p.mode == txModeNone {
		err = m.applyStatements(ctx, conn, p, stmts, rev)
	} else {
		err = m.applyInTx(ctx, conn, stmts, rev)
	}
	rev.ExecutionTime = time.Since(rev.ExecutedAt)
	applied := Applied{Version: rev.Version, Name: rev.Description, Statements: len(stmts), Duration: rev.ExecutionTime}
	if err != nil {
		return applied, m.recordFailure(ctx, conn, p.file, rev, err)
	}
	m.log.Info("applied migration", "version", rev.Version, "name", rev.Description,
		"statements", len(stmts), "duration", rev.ExecutionTime)
	return applied, nil
}

// applyInTx runs the file and writes its revision in one transaction, so either both happen
// or neither. A lock timeout retries the whole file.
func (m *Migrator) applyInTx(ctx context.Context, conn *pgxpool.Conn, stmts []string, rev *Revision) error {
	return m.retryOnLockTimeout(ctx, func() error {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		for i, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return &stmtError{index: i, stmt: s, err: err}
			}
		}
		rev.Applied = len(stmts)
		rev.PartialHashes = nil
		rev.ExecutionTime = time.Since(rev.ExecutedAt)
		if err := writeRevision(ctx, tx, rev); err != nil {
			return fmt.Errorf("record revision: %w", err)
		}
		return tx.Commit(ctx)
	})
}

// applyStatements runs a txmode-none file one statement at a time, recording progress after
// each, and skips the statements an earlier failed run already committed.
func (m *Migrator) applyStatements(ctx context.Context, conn *pgxpool.Conn, p pendingFile, stmts []string, rev *Revision) error {
	if p.prev != nil {
		rev.Applied = p.prev.Applied
		rev.PartialHashes = append([]string(nil), p.prev.PartialHashes[:p.prev.Applied]...)
	}
	for i := rev.Applied; i < len(stmts); i++ {
		s := stmts[i]
		err := m.retryOnLockTimeout(ctx, func() error {
			_, err := conn.Exec(ctx, s)
			return err
		})
		if err != nil {
			m.dropInvalidIndex(ctx, conn, s)
			return &stmtError{index: i, stmt: s, err: err}
		}
		rev.Applied = i + 1
		rev.PartialHashes = append(rev.PartialHashes, stmtHash(s))
		rev.ExecutionTime = time.Since(rev.ExecutedAt)
		if rev.Applied < len(stmts) {
			if err := writeRevision(ctx, conn, rev); err != nil {
				return fmt.Errorf("record progress: %w", err)
			}
		}
	}
	rev.PartialHashes = nil
	rev.ExecutionTime = time.Since(rev.ExecutedAt)
	return writeRevision(ctx, conn, rev)
}

// dropInvalidIndex removes the invalid index a failed CREATE INDEX CONCURRENTLY leaves
// behind, so a retry can build it again and no half-built index stays in the catalog.
func (m *Migrator) dropInvalidIndex(ctx context.Context, conn *pgxpool.Conn, stmt string) {
	name := concurrentIndexName(stmt)
	if name == "" {
		return
	}
	cleanupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var invalid bool
	err := conn.QueryRow(cleanupCtx, `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname = $1 AND n.nspname = current_schema() AND NOT i.indisvalid)`, name).Scan(&invalid)
	if err != nil || !invalid {
		return
	}
	if _, err := conn.Exec(cleanupCtx, "DROP INDEX CONCURRENTLY IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		m.log.Error("drop invalid index left by failed concurrent build", "index", name, "err", err)
		return
	}
	m.log.Info("dropped invalid index left by failed concurrent build", "index", name)
}

func (m *Migrator) retryOnLockTimeout(ctx context.Context, fn func() error) error {
	pause := time.Second
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || !isLockTimeout(err) || attempt >= m.cfg.LockRetries {
			return err
		}
		m.log.Warn("migration statement timed out waiting for a lock; retrying",
			"attempt", attempt+1, "max_retries", m.cfg.LockRetries, "pause", pause)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// recordFailure stores the error and statement in the revision table, where `forge migrate
// status` shows them, and returns a FileError.
func (m *Migrator) recordFailure(ctx context.Context, conn *pgxpool.Conn, f migrate.File, rev *Revision, err error) error {
	fe := &FileError{Version: rev.Version, File: f.Name(), Applied: rev.Applied, Err: err}
	var se *stmtError
	if errors.As(err, &se) {
		fe.Statement, fe.Err = se.stmt, se.err
	}
	rev.Error = fe.Err.Error()
	rev.ErrorStmt = fe.Statement
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if conn.Conn().IsClosed() {
		return fe
	}
	if werr := writeRevision(recordCtx, conn, rev); werr != nil {
		m.log.Error("record failed migration", "version", rev.Version, "err", werr)
	}
	return fe
}

type stmtError struct {
	index int
	stmt  string
	err   error
}

func (e *stmtError) Error() string { return fmt.Sprintf("statement %d: %v", e.index+1, e.err) }
func (e *stmtError) Unwrap() error { return e.err }

// stmtHash identifies an applied statement in partial_hashes.
func stmtHash(stmt string) string {
	sum := sha256.Sum256([]byte(stmt))
	return base64.StdEncoding.EncodeToString(sum[:])
}
