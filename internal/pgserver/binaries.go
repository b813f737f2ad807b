package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// requiredBinaries are the server programs Forge runs; psql and other clients are optional.
var requiredBinaries = []string{"initdb", "pg_ctl", "postgres"}

// ErrBinariesNotFound is returned when no directory holds the PostgreSQL server programs.
var ErrBinariesNotFound = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found")

// FindBinDir returns the directory of the PostgreSQL server programs. It looks, in order, at
// the explicit dir (when not empty), the directories in PATH, `pg_config --bindir`, and the
// usual package locations, taking the newest major version where several are installed.
func FindBinDir(explicit string) (string, error) {
	if explicit != "" {
		if err := hasServerBinaries(explicit); err != nil {
			return "", fmt.Errorf("invalid FORGE_PG_BINDIR %s: %w; point it at the directory that holds initdb, "+
				"pg_ctl and postgres, or unset it to search the usual places", explicit, err)
		}
		return explicit, nil
	}
	for _, dir := range candidateBinDirs() {
		if hasServerBinaries(dir) == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w in PATH, `pg_config --bindir`, /usr/lib/postgresql/*/bin or the "+
		"Homebrew and PGDG locations.\n"+
		"Install the server (Debian/Ubuntu: apt-get install postgresql; "+
		"macOS: brew install postgresql@16; RHEL/Fedora: dnf install postgresql-server postgresql-contrib), "+
		"set FORGE_PG_BINDIR to the directory that holds initdb, "+
		"or use a running server with --database-url or DATABASE_URL", ErrBinariesNotFound)
}

func candidateBinDirs() []string {
	var dirs []string
	dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",          // Debian, Ubuntu
		"/usr/pgsql-*/bin",                   // PGDG packages on RHEL and Fedora
		"/opt/homebrew/opt/postgresql@*/bin", // Homebrew on Apple silicon
		"/usr/local/opt/postgresql@*/bin",    // Homebrew on Intel
		"/Applications/Postgres.app/Contents/Versions/*/bin",
	} {
		dirs = append(dirs, newestFirst(pattern)...)
	}
	return dirs
}

// newestFirst globs pattern and orders the matches by the version number in the path.
func newestFirst(pattern string) []string {
	matches, _ := filepath.Glob(pattern)
	sort.SliceStable(matches, func(i, j int) bool {
		return majorVersion(matches[i]) > majorVersion(matches[j])
	})
	return matches
}

func majorVersion(path string) int {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return ' '
	}, path)
	fields := strings.Fields(digits)
	if len(fields) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(fields[0])
	return n
}

func hasServerBinaries(dir string) error {
	for _, name := range requiredBinaries {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if info.IsDir() || info.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable file", filepath.Join(dir, name))
		}
	}
	return nil
}
