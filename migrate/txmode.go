package migrate

import (
	"fmt"
	"regexp"

	"ariga.io/atlas/sql/migrate"
)

// Transaction modes of the Atlas `-- atlas:txmode` file directive.
const (
	txModeFile = "file" // the whole file in one transaction (Forge's default, as the Atlas CLI's)
	txModeNone = "none" // statement by statement, each committed on its own
	txModeAll  = "all"  // the Atlas CLI runs all pending files in one transaction
)

// noTxStatement matches statements PostgreSQL refuses to run inside a transaction block.
var noTxStatement = regexp.MustCompile(`(?is)^\s*(` +
	`(create|drop)\s+(unique\s+)?index\s+concurrently|` +
	`reindex\b.*\bconcurrently|` +
	`(create|drop)\s+database|` +
	`(create|drop)\s+tablespace|` +
	`alter\s+system|` +
	`vacuum\b|` +
	`alter\s+table\b.*\bdetach\s+partition\b.*\bconcurrently` +
	`)`)

// txMode returns the transaction mode of f. It rejects unknown modes and a transactional file
// that holds a statement PostgreSQL cannot run in a transaction, before anything runs.
func txMode(f migrate.File) (string, error) {
	lf, ok := f.(*migrate.LocalFile)
	if !ok {
		lf = migrate.NewLocalFile(f.Name(), f.Bytes())
	}
	mode := txModeFile
	switch ds := lf.Directive("txmode"); len(ds) {
	case 0:
	case 1:
		mode = ds[0]
	default:
		return "", fmt.Errorf("%w: %s has %d atlas:txmode directives; keep one", ErrTxMode, f.Name(), len(ds))
	}
	switch mode {
	case txModeFile, txModeAll:
		// Forge applies each file in its own transaction; "all" is treated as "file" because
		// a deployment that fails half-way should keep the files that succeeded.
		mode = txModeFile
	case txModeNone:
		return mode, nil
	default:
		return "", fmt.Errorf("%w: %s asks for txmode %q; use none, file or all", ErrTxMode, f.Name(), mode)
	}
	stmts, err := f.Stmts()
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", f.Name(), err)
	}
	for _, s := range stmts {
		if noTxStatement.MatchString(s) {
			return "", fmt.Errorf("%w: %s runs in a transaction but %q cannot; add the header line "+
				"`-- atlas:txmode none` followed by a blank line, or move the statement to a file of its own",
				ErrTxMode, f.Name(), abbreviate(s, 80))
		}
	}
	return mode, nil
}
