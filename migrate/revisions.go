package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The revision table has the layout the Atlas CLI creates for PostgreSQL, so `atlas migrate
// status` and `atlas migrate apply` read the same history Forge writes.
const createRevisionTable = `
CREATE SCHEMA IF NOT EXISTS "atlas_schema_revisions";
CREATE TABLE IF NOT EXISTS "atlas_schema_revisions"."atlas_schema_revisions" (
	"version" character varying NOT NULL,
	"description" character varying NOT NULL,
	"type" bigint NOT NULL DEFAULT 2,
	"applied" bigint NOT NULL DEFAULT 0,
	"total" bigint NOT NULL DEFAULT 0,
	"executed_at" timestamptz NOT NULL,
	"execution_time" bigint NOT NULL,
	"error" text NULL,
	"error_stmt" text NULL,
	"hash" character varying NOT NULL,
	"partial_hashes" jsonb NULL,
	"operator_version" character varying NOT NULL,
	PRIMARY KEY ("version")
)`

const revisionColumns = `version, description, type, applied, total, executed_at, execution_time,
	error, error_stmt, hash, partial_hashes, operator_version`

// RevisionType values as the Atlas CLI stores them.
const (
	revisionBaseline = 1
	revisionExecute  = 2
)

// Revision is one row of the revision table.
type Revision struct {
	Version       string
	Description   string
	Type          int64
	Applied       int
	Total         int
	ExecutedAt    time.Time
	ExecutionTime time.Duration
	Error         string
	ErrorStmt     string
	Hash          string
	PartialHashes []string
	Operator      string
}

// done reports whether every statement of the revision's file ran.
func (r *Revision) done() bool {
	return r.Type == revisionBaseline || (r.Error == "" && r.Applied == r.Total)
}

// dbtx is satisfied by a pool, a pooled connection, a connection and a transaction.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func revisionTableExists(ctx context.Context, db dbtx) (bool, error) {
	var exists bool
	err := db.QueryRow(ctx, `SELECT to_regclass('"atlas_schema_revisions"."atlas_schema_revisions"') IS NOT NULL`).Scan(&exists)
	return exists, err
}

func readRevisions(ctx context.Context, db dbtx) (map[string]*Revision, error) {
	rows, err := db.Query(ctx, `SELECT `+revisionColumns+` FROM "atlas_schema_revisions"."atlas_schema_revisions"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	revs := make(map[string]*Revision)
	for rows.Next() {
		var (
			r            Revision
			execNanos    int64
			errText      *string
			errStmt      *string
			partialBytes []byte
		)
		if err := rows.Scan(&r.Version, &r.Description, &r.Type, &r.Applied, &r.Total, &r.ExecutedAt,
			&execNanos, &errText, &errStmt, &r.Hash, &partialBytes, &r.Operator); err != nil {
			return nil, err
		}
		r.ExecutionTime = time.Duration(execNanos)
		if errText != nil {
			r.Error = *errText
		}
		if errStmt != nil {
			r.ErrorStmt = *errStmt
		}
		if len(partialBytes) > 0 {
			if err := json.Unmarshal(partialBytes, &r.PartialHashes); err != nil {
				return nil, errors.New("migrate: revision " + r.Version + " has invalid partial_hashes")
			}
		}
		revs[r.Version] = &r
	}
	return revs, rows.Err()
}

func writeRevision(ctx context.Context, db dbtx, r *Revision) error {
	var partial []byte
	if len(r.PartialHashes) > 0 {
		partial, _ = json.Marshal(r.PartialHashes)
	}
	var errText, errStmt *string
	if r.Error != "" {
		errText = &r.Error
	}
	if r.ErrorStmt != "" {
		errStmt = &r.ErrorStmt
	}
	_, err := db.Exec(ctx, `INSERT INTO "atlas_schema_revisions"."atlas_schema_revisions" (`+revisionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (version) DO UPDATE SET
			description = EXCLUDED.description, type = EXCLUDED.type, applied = EXCLUDED.applied,
			total = EXCLUDED.total, executed_at = EXCLUDED.executed_at,
			execution_time = EXCLUDED.execution_time, error = EXCLUDED.error,
			error_stmt = EXCLUDED.error_stmt, hash = EXCLUDED.hash,
			partial_hashes = EXCLUDED.partial_hashes, operator_version = EXCLUDED.operator_version`,
		r.Version, r.Description, r.Type, r.Applied, r.Total, r.ExecutedAt, int64(r.ExecutionTime),
		errText, errStmt, r.Hash, partial, r.Operator)
	return err
}
