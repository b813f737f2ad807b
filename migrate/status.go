package migrate

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// State of a version in Status.
const (
	StateApplied  = "applied"
	StatePending  = "pending"
	StateFailed   = "failed"
	StateBaseline = "baseline" // adopted by `forge migrate baseline`, or older than that version
	StateMissing  = "missing"  // recorded as applied, but the file is gone
)

// VersionStatus is one line of `forge migrate status`.
type VersionStatus struct {
	Version    string        `json:"version"`
	Name       string        `json:"name"`
	State      string        `json:"state"`
	ExecutedAt time.Time     `json:"executed_at,omitzero"`
	Duration   time.Duration `json:"duration_ns,omitempty"`
	Applied    int           `json:"statements_applied"`
	Total      int           `json:"statements_total"`
	Error      string        `json:"error,omitempty"`
	ErrorStmt  string        `json:"error_statement,omitempty"`
}

// Status lists every version in the directory and in the revision table, oldest first. It
// takes no lock and changes nothing (a database that was never migrated reads as all
// pending).
func (m *Migrator) Status(ctx context.Context) ([]VersionStatus, error) {
	conn, err := m.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	revs, err := m.revisionsIfAny(ctx, conn)
	if err != nil {
		return nil, err
	}
	files, err := m.source.Files()
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	baseline := baselineVersion(revs)
	var out []VersionStatus
	for _, f := range files {
		seen[f.Version()] = true
		st := VersionStatus{Version: f.Version(), Name: f.Desc(), State: StatePending}
		if f.Version() <= baseline {
			st.State = StateBaseline
		}
		if stmts, err := f.Stmts(); err == nil {
			st.Total = len(stmts)
		}
		if rev := revs[f.Version()]; rev != nil {
			fillFromRevision(&st, rev)
		}
		out = append(out, st)
	}
	for version, rev := range revs {
		if seen[version] {
			continue
		}
		st := VersionStatus{Version: version, Name: rev.Description}
		fillFromRevision(&st, rev)
		st.State = StateMissing
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func fillFromRevision(st *VersionStatus, rev *Revision) {
	st.ExecutedAt = rev.ExecutedAt.UTC()
	st.Duration = rev.ExecutionTime
	st.Applied, st.Total = rev.Applied, rev.Total
	st.Error, st.ErrorStmt = rev.Error, rev.ErrorStmt
	switch {
	case rev.Type == revisionBaseline:
		st.State = StateBaseline
	case rev.Error != "":
		st.State = StateFailed
	case rev.done():
		st.State = StateApplied
	default:
		st.State = StatePending
	}
}

func (m *Migrator) revisionsIfAny(ctx context.Context, conn *pgxpool.Conn) (map[string]*Revision, error) {
	exists, err := revisionTableExists(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("migrate: look up revision table: %w", err)
	}
	if !exists {
		return map[string]*Revision{}, nil
	}
	revs, err := readRevisions(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("migrate: read revision table: %w", err)
	}
	return revs, nil
}
