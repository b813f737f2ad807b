package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Baseline adopts a database whose schema already matches version: it records version as a
// baseline, so Up skips that file and every older one and applies only newer files. It is
// refused on a database that has migration history.
func (m *Migrator) Baseline(ctx context.Context, version string) error {
	if err := m.source.Verify(); err != nil {
		return err
	}
	return m.withLock(ctx, func(conn *pgxpool.Conn) error {
		files, err := m.source.Files()
		if err != nil {
			return err
		}
		var found bool
		var rev Revision
		for _, f := range files {
			if f.Version() != version {
				continue
			}
			hash, err := m.source.Sum(f)
			if err != nil {
				return err
			}
			found = true
			rev = Revision{Version: version, Description: f.Desc(), Type: revisionBaseline,
				ExecutedAt: time.Now(), Hash: hash, Operator: OperatorVersion}
		}
		if !found {
			return fmt.Errorf("%w: %s is not in %s; run `forge migrate status` for the versions",
				ErrUnknownVersion, version, m.source.origin)
		}
		if _, err := conn.Exec(ctx, createRevisionTable); err != nil {
			return fmt.Errorf("migrate: create revision table: %w", err)
		}
		revs, err := readRevisions(ctx, conn)
		if err != nil {
			return err
		}
		if len(revs) > 0 {
			return fmt.Errorf("migrate: cannot baseline: the database already has %d recorded versions; "+
				"baseline adopts only a database without migration history", len(revs))
		}
		return writeRevision(ctx, conn, &rev)
	})
}
