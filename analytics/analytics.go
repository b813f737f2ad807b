// Package analytics computes Forge's customer reports and the tuning and health reports a
// database engineer reads. Its SQL lives in the .sql files beside the Go code that runs it.
// The package never prints: each function returns typed rows or a typed error, and the
// forge command decides how they look.
package analytics

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"text/template"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier runs SQL. *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

//go:embed sql/*.sql
var sqlFiles embed.FS

// queries holds every embedded .sql file as a template named by its file name. Templates
// only switch fixed SQL fragments on and off; values always travel as query parameters.
var queries = template.Must(template.New("").Option("missingkey=error").ParseFS(sqlFiles, "sql/*.sql"))

// renderSQL returns the text of the named query with the optional fragments that data selects.
func renderSQL(name string, data any) string {
	var b strings.Builder
	if err := queries.ExecuteTemplate(&b, name, data); err != nil {
		// The templates are compiled into the binary, so a failure here is a programming error.
		panic(fmt.Sprintf("analytics: render %s: %v", name, err))
	}
	return b.String()
}

// mustSQL returns the text of a query that has no optional fragments.
func mustSQL(name string) string {
	return renderSQL(name, nil)
}
