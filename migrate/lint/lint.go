// Package lint checks migration files for changes that are unsafe to deploy on a live
// PostgreSQL database. It runs Atlas's open-source analyzers (destructive changes,
// data-dependent changes, dropped constraints, backward-incompatible changes) and Forge's own
// rules for online deploys, replaying the files on a throwaway database to know, for each
// statement, the schema before and after it.
//
// A reviewed exception is marked in the file with Atlas's directive, on the line before the
// statement: `-- atlas:nolint` silences every check for it, and `-- atlas:nolint FG101 DS102`
// or `-- atlas:nolint destructive` silences the named codes or analyzers. The same directive
// in the file header applies to the whole file.
package lint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	_ "ariga.io/atlas/sql/postgres/postgrescheck" // registers Atlas's PostgreSQL analyzers
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlcheck"
	"ariga.io/atlas/sql/sqlclient"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/forgedb/forge/internal/devdb"
	forgemigrate "github.com/forgedb/forge/migrate"
)

// Severity of a finding. Errors make `forge migrate lint` exit non-zero.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem in one statement.
type Finding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Code     string   `json:"code"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s:%d: %s %s (%s): %s", f.File, f.Line, f.Severity, f.Code, f.Rule, f.Message)
	if f.Fix != "" {
		s += "\n    fix: " + f.Fix
	}
	return s
}

// Options selects the files to lint.
type Options struct {
	// Latest lints only the newest N files; 0 lints every file. Older files are still
	// replayed, so the checks know which tables exist.
	Latest int
	// Versions lints only these versions, when not empty.
	Versions []string
}

// ErrFindings is returned by Run when at least one finding is an error.
var ErrFindings = errors.New("lint: migration files have errors")

// Run lints the files of src on a throwaway database created on the server behind adminURL
// and returns the findings in file and line order.
func Run(ctx context.Context, adminURL string, src *forgemigrate.Source, opts Options) ([]Finding, error) {
	if err := src.Verify(); err != nil {
		return nil, err
	}
	files, err := src.Files()
	if err != nil {
		return nil, err
	}

	cfg, drop, err := devdb.Create(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	defer drop()
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return nil, fmt.Errorf("lint: open dev database: %w", err)
	}
	analyzers, err := sqlcheck.AnalyzerFor(postgres.DriverName, nil)
	if err != nil {
		return nil, fmt.Errorf("lint: load Atlas analyzers: %w", err)
	}
	l := &linter{
		decls:     map[string][]*migrate.Stmt{},
		db:        db,
		drv:       drv,
		dev:       &sqlclient.Client{Name: postgres.DriverName, DB: db, Driver: drv},
		analyzers: analyzers,
	}

	selected := selectFiles(files, opts)
	for _, f := range files {
		if err := l.file(ctx, f, selected[f.Version()]); err != nil {
			return l.findings, err
		}
	}

	sort.SliceStable(l.findings, func(i, j int) bool {
		if l.findings[i].File != l.findings[j].File {
			return l.findings[i].File < l.findings[j].File
		}
		return l.findings[i].Line < l.findings[j].Line
	})
	for _, f := range l.findings {
		if f.Severity == Error {
			return l.findings, ErrFindings
		}
	}
	return l.findings, nil
}

func selectFiles(files []migrate.File, opts Options) map[string]bool {
	sel := map[string]bool{}
	for i, f := range files {
		switch {
		case len(opts.Versions) > 0:
			for _, v := range opts.Versions {
				if v == f.Version() {
					sel[f.Version()] = true
				}
			}
		case opts.Latest > 0:
			sel[f.Version()] = i >= len(files)-opts.Latest
		default:
			sel[f.Version()] = true
		}
	}
	return sel
}

type linter struct {
	decls     map[string][]*migrate.Stmt // statements of each linted file, for nolint lookups
	db        *sql.DB
	drv       migrate.Driver
	dev       *sqlclient.Client
	analyzers []sqlcheck.Analyzer
	findings  []Finding
}

// statement is one statement with the schema before and after it.
type statement struct {
	decl          *migrate.Stmt
	line          int
	before, after *atlas.Schema
	changes       atlas.Changes
}

// file replays f on the dev database, statement by statement, and lints it when report is
// set.
func (l *linter) file(ctx context.Context, f migrate.File, report bool) error {
	decls, err := f.StmtDecls()
	if err != nil {
		return fmt.Errorf("lint: parse %s: %w", f.Name(), err)
	}
	l.decls[f.Name()] = decls

	from, err := l.inspect(ctx)
	if err != nil {
		return err
	}
	prev := from
	var stmts []*statement
	var changes []*sqlcheck.Change
	for _, d := range decls {
		if _, err := l.db.ExecContext(ctx, d.Text); err != nil {
			l.add(f, lineOf(f.Bytes(), d.Pos), Finding{Code: "FG100", Rule: "invalid statement", Severity: Error,
				Message: fmt.Sprintf("statement fails on an empty database migrated to the previous version: %v", err),
				Fix:     "correct the statement; run `forge migrate sql VERSION` to read the file"})
			return nil
		}
		cur, err := l.inspect(ctx)
		if err != nil {
			return err
		}
		diff, err := l.drv.SchemaDiff(prev, cur)
		if err != nil {
			return fmt.Errorf("lint: diff after %s: %w", f.Name(), err)
		}
		diff = fixRenames(d.Text, diff)
		stmts = append(stmts, &statement{decl: d, line: lineOf(f.Bytes(), d.Pos), before: prev, after: cur, changes: diff})
		changes = append(changes, &sqlcheck.Change{Changes: diff, Stmt: d})
		prev = cur
	}
	if !report {
		return nil
	}
	sum, err := l.drv.SchemaDiff(from, prev)
	if err != nil {
		return err
	}
	l.runAtlas(ctx, f, changes, sum, from, prev)
	l.runForge(ctx, f, from, stmts)
	return nil
}

func (l *linter) inspect(ctx context.Context) (*atlas.Schema, error) {
	s, err := l.drv.InspectSchema(ctx, "public", nil)
	if err != nil {
		return nil, fmt.Errorf("lint: inspect dev database: %w", err)
	}
	return s, nil
}

// atlasSeverity: a destructive change loses data, so it fails the lint as in the Atlas CLI;
// the other analyzers report risks that depend on the data, as warnings.
var atlasSeverity = map[string]Severity{"destructive": Error}

func (l *linter) runAtlas(ctx context.Context, f migrate.File, changes []*sqlcheck.Change, sum atlas.Changes, from, to *atlas.Schema) {
	file := &sqlcheck.File{
		File:    f,
		Changes: changes,
		Sum:     sum,
		From:    atlas.NewRealm(from),
		To:      atlas.NewRealm(to),
	}
	for _, a := range l.analyzers {
		name := "atlas"
		if na, ok := a.(sqlcheck.NamedAnalyzer); ok {
			name = na.Name()
		}
		sev := atlasSeverity[name]
		if sev == "" {
			sev = Warning
		}
		reported := false
		pass := &sqlcheck.Pass{File: file, Dev: l.dev, Reporter: sqlcheck.ReportWriterFunc(func(r sqlcheck.Report) {
			for _, d := range r.Diagnostics {
				reported = true
				fix := ""
				for _, sf := range d.SuggestedFixes {
					fix = sf.Message
				}
				if fix == "" {
					fix = atlasFixes[d.Code]
				}
				l.add(f, lineOf(f.Bytes(), d.Pos), Finding{Code: d.Code, Rule: name, Severity: sev, Message: d.Text, Fix: fix})
			}
		})}
		// An analyzer configured to fail returns an error after its report. The findings already
		// record that, so only an error without a report means the analyzer itself failed.
		if err := a.Analyze(ctx, pass); err != nil && !reported {
			l.add(f, 1, Finding{Code: "FG000", Rule: name, Severity: Error,
				Message: fmt.Sprintf("Atlas analyzer failed: %v", err)})
		}
	}
}

// atlasFixes gives a remedy where Atlas's analyzers state only the problem.
var atlasFixes = map[string]string{
	"DS101": "move the data out first, or mark the reviewed drop with -- atlas:nolint DS101",
	"DS102": "copy or archive the table first, or mark the reviewed drop with -- atlas:nolint DS102",
	"DS103": "copy the column's data first, or mark the reviewed drop with -- atlas:nolint DS103",
	"MF101": "deduplicate the rows first, or build the unique index CONCURRENTLY in a txmode none file",
	"MF103": "add the column as nullable or with a default, backfill, then set NOT NULL",
	"MF104": "backfill NULLs first, add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
	"BC101": "add the new name as a view or generated column for one release before renaming",
	"BC102": "keep the old column until no deployed code reads it",
	"CD101": "drop the constraint in its own reviewed migration",
}

// add records a finding unless a nolint directive at the statement or in the file header
// silences its code or rule.
func (l *linter) add(f migrate.File, line int, fd Finding) {
	fd.File = f.Name()
	fd.Line = line
	if silenced(f, l.decls[f.Name()], line, fd) {
		return
	}
	l.findings = append(l.findings, fd)
}

func silenced(f migrate.File, decls []*migrate.Stmt, line int, fd Finding) bool {
	if lf, ok := f.(*migrate.LocalFile); ok {
		for _, d := range lf.Directive("nolint") {
			if matchesNolint(d, fd) {
				return true
			}
		}
	}
	for _, d := range decls {
		if lineOf(f.Bytes(), d.Pos) != line {
			continue
		}
		for _, args := range d.Directive("nolint") {
			if matchesNolint(args, fd) {
				return true
			}
		}
	}
	return false
}

func matchesNolint(args string, fd Finding) bool {
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return true
	}
	for _, a := range fields {
		if strings.EqualFold(a, fd.Code) || a == fd.Rule {
			return true
		}
	}
	return false
}

// lineOf converts a byte offset into a 1-based line number.
func lineOf(b []byte, pos int) int {
	if pos > len(b) {
		pos = len(b)
	}
	return strings.Count(string(b[:pos]), "\n") + 1
}
