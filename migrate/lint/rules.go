package lint

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
)

// Codes of Forge's own rules.
const (
	codeIndexBlocking      = "FG101"
	codeConcurrentlyInTx   = "FG102"
	codeNotNullNoDefault   = "FG103"
	codeConstraintValidate = "FG104"
	codeRewriteType        = "FG105"
	codeVolatileDefault    = "FG106"
	codeNoLockTimeout      = "FG107"
)

var (
	reConcurrently = regexp.MustCompile(`(?i)\bconcurrently\b`)
	reNotValid     = regexp.MustCompile(`(?i)\bnot\s+valid\b`)
	reLockTimeout  = regexp.MustCompile(`(?i)^\s*set\s+(local\s+)?lock_timeout\b`)
	reFuncCall     = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*\(`)
)

// runForge applies Forge's rules for online deploys to each statement of f. A table counts as
// existing when it was there before the file started, because changes to a table that the
// file itself creates block no other session.
func (l *linter) runForge(ctx context.Context, f migrate.File, from *atlas.Schema, stmts []*statement) {
	noTx := false
	if lf, ok := f.(*migrate.LocalFile); ok {
		for _, d := range lf.Directive("txmode") {
			noTx = d == "none"
		}
	}
	existing := func(t *atlas.Table) bool {
		_, ok := from.Table(t.Name)
		return ok
	}
	setsLockTimeout := false
	var locking *statement
	for _, s := range stmts {
		text := s.decl.Text
		if reLockTimeout.MatchString(text) {
			setsLockTimeout = true
		}
		if reConcurrently.MatchString(text) && !noTx {
			l.add(f, s.line, Finding{Code: codeConcurrentlyInTx, Rule: "concurrently in transaction", Severity: Error,
				Message: "CONCURRENTLY cannot run inside a transaction block, and this file runs in one",
				Fix:     "start the file with `-- atlas:txmode none` and a blank line, or move the statement to such a file"})
		}
		for _, c := range s.changes {
			m, ok := c.(*atlas.ModifyTable)
			if !ok || !existing(m.T) {
				continue
			}
			if locking == nil {
				locking = s
			}
			for _, mc := range m.Changes {
				l.tableChange(ctx, f, s, m.T, mc)
			}
		}
	}
	if locking != nil && !setsLockTimeout && !noTx {
		l.add(f, locking.line, Finding{Code: codeNoLockTimeout, Rule: "missing lock_timeout", Severity: Warning,
			Message: "the file changes an existing table but sets no lock_timeout: a statement waiting for its " +
				"lock queues every query on the table behind it (forge migrate sets one; other tools do not)",
			Fix: "add `SET LOCAL lock_timeout = '5s';` as the file's first statement"})
	}
}

func (l *linter) tableChange(ctx context.Context, f migrate.File, s *statement, t *atlas.Table, c atlas.Change) {
	text := s.decl.Text
	switch c := c.(type) {
	case *atlas.AddIndex:
		if !reConcurrently.MatchString(text) {
			l.add(f, s.line, Finding{Code: codeIndexBlocking, Rule: "index without concurrently", Severity: Error,
				Message: fmt.Sprintf("CREATE INDEX %q on existing table %q blocks writes to it until the build ends", c.I.Name, t.Name),
				Fix:     "use CREATE INDEX CONCURRENTLY in a file that starts with `-- atlas:txmode none`"})
		}
	case *atlas.AddColumn:
		l.addColumn(ctx, f, s, t, c.C)
	case *atlas.ModifyColumn:
		if c.Change.Is(atlas.ChangeNull) && !c.To.Type.Null {
			l.add(f, s.line, Finding{Code: codeNotNullNoDefault, Rule: "not null on existing column", Severity: Error,
				Message: fmt.Sprintf("SET NOT NULL on %s.%s scans the whole table under an ACCESS EXCLUSIVE lock", t.Name, c.To.Name),
				Fix: "add CHECK (" + c.To.Name + " IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later statement, " +
					"then SET NOT NULL, which uses the validated check"})
		}
		if c.Change.Is(atlas.ChangeType) && rewritesTable(c.From.Type.Type, c.To.Type.Type) {
			l.add(f, s.line, Finding{Code: codeRewriteType, Rule: "type change rewrites table", Severity: Error,
				Message: fmt.Sprintf("changing %s.%s from %s to %s rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
					t.Name, c.To.Name, typeName(c.From.Type.Type), typeName(c.To.Type.Type)),
				Fix: "add a new column, backfill it in batches, switch readers, then drop the old column"})
		}
	case *atlas.AddForeignKey:
		if !reNotValid.MatchString(text) {
			l.add(f, s.line, Finding{Code: codeConstraintValidate, Rule: "constraint without not valid", Severity: Error,
				Message: fmt.Sprintf("foreign key %q on existing table %q is validated while holding a lock that blocks writes",
					c.F.Symbol, t.Name),
				Fix: "add it with NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a separate statement"})
		}
	case *atlas.AddCheck:
		if !reNotValid.MatchString(text) {
			l.add(f, s.line, Finding{Code: codeConstraintValidate, Rule: "constraint without not valid", Severity: Error,
				Message: fmt.Sprintf("check %q on existing table %q scans every row while holding an ACCESS EXCLUSIVE lock",
					c.C.Name, t.Name),
				Fix: "add it with NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a separate statement"})
		}
	}
}

func (l *linter) addColumn(ctx context.Context, f migrate.File, s *statement, t *atlas.Table, col *atlas.Column) {
	var def string
	if x, ok := col.Default.(*atlas.RawExpr); ok {
		def = x.X
	}
	if col.Default == nil && !col.Type.Null {
		l.add(f, s.line, Finding{Code: codeNotNullNoDefault, Rule: "not null without default", Severity: Error,
			Message: fmt.Sprintf("adding NOT NULL column %s.%s without a default fails on a table that has rows", t.Name, col.Name),
			Fix:     "add a constant default, or add the column as nullable, backfill, and set NOT NULL later"})
	}
	if def == "" {
		return
	}
	for _, m := range reFuncCall.FindAllStringSubmatch(def, -1) {
		var volatile bool
		err := l.db.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = lower($1) AND provolatile = 'v')`, m[1]).Scan(&volatile)
		if err == nil && volatile {
			l.add(f, s.line, Finding{Code: codeVolatileDefault, Rule: "volatile default", Severity: Error,
				Message: fmt.Sprintf("column %s.%s gets the volatile default %s, so PostgreSQL rewrites the whole table "+
					"under an ACCESS EXCLUSIVE lock to fill it", t.Name, col.Name, def),
				Fix: "add the column without a default, set the default in a second statement (it then applies to new rows), " +
					"and backfill existing rows in batches"})
			return
		}
	}
}

// rewritesTable reports whether ALTER COLUMN TYPE from one type to the other rewrites the
// table. PostgreSQL skips the rewrite only when the new type is binary-coercible and no
// narrower: a longer or unbounded varchar, varchar to text, a wider numeric of equal scale.
func rewritesTable(from, to atlas.Type) bool {
	switch f := from.(type) {
	case *atlas.StringType:
		t, ok := to.(*atlas.StringType)
		if !ok {
			return true
		}
		unbounded := t.T == "text" || t.Size == 0
		sameFamily := (f.T == t.T) || (isVarchar(f.T) && (t.T == "text" || isVarchar(t.T)))
		return !sameFamily || (!unbounded && t.Size < f.Size)
	case *atlas.DecimalType:
		t, ok := to.(*atlas.DecimalType)
		if !ok {
			return true
		}
		if t.Precision == 0 {
			return false
		}
		return t.Scale != f.Scale || t.Precision < f.Precision
	}
	return typeName(from) != typeName(to)
}

func isVarchar(t string) bool {
	return t == "character varying" || t == "varchar"
}

func typeName(t atlas.Type) string {
	s, err := postgres.FormatType(t)
	if err != nil {
		return strings.TrimSpace(fmt.Sprintf("%T", t))
	}
	return s
}
