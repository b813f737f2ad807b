package migrate

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrChecksum is returned when atlas.sum does not match the migration files.
	ErrChecksum = errors.New("migrate: checksum mismatch")
	// ErrModified is returned when an applied file differs from what was applied.
	ErrModified = errors.New("migrate: applied migration file was modified")
	// ErrMissingFile is returned when a version recorded as applied has no file.
	ErrMissingFile = errors.New("migrate: applied migration file is missing")
	// ErrLockTimeout is returned when another process holds the migration lock too long.
	ErrLockTimeout = errors.New("migrate: timed out waiting for the migration lock")
	// ErrNotClean is returned when a database without migration history already has tables.
	ErrNotClean = errors.New("migrate: database has tables but no migration history")
	// ErrTxMode is returned when a file's statements cannot run in the mode it asks for.
	ErrTxMode = errors.New("migrate: invalid transaction mode")
	// ErrNoDown is returned when a version has no down file or an empty one.
	ErrNoDown = errors.New("migrate: missing down migration")
	// ErrDestructive is returned when a down migration would drop data and force is not set.
	ErrDestructive = errors.New("migrate: down migration would destroy data")
	// ErrUnknownVersion is returned for a version that is not in the migration directory.
	ErrUnknownVersion = errors.New("migrate: unknown version")
)

// FileError reports the file and statement a migration failed on.
type FileError struct {
	Version   string
	File      string
	Statement string // empty when the failure was not in a statement
	Applied   int    // statements of the file that stay applied (only outside a transaction)
	Err       error
}

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "migrate: %s failed", e.File)
	if e.Statement != "" {
		fmt.Fprintf(&b, " on statement %q", abbreviate(e.Statement, 200))
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

func abbreviate(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= limit {
		return s
	}
	return s[:limit-3] + "..."
}
