package migrate

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"

	"ariga.io/atlas/sql/migrate"
)

// DownDir is the subdirectory that holds down files. The Atlas CLI reads only the *.sql
// files directly in the migration directory, so it never mistakes a down file for an up one.
const DownDir = "down"

//go:embed migrations
var embedded embed.FS

// Source is a migration directory: the up files with their atlas.sum and the down files with
// theirs.
type Source struct {
	up, down snapshotDir
	upSum    migrate.HashFile // checksum of the up files, computed once at Load
	origin   string
}

// Embedded returns the migrations compiled into this binary.
func Embedded() (*Source, error) {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		return nil, err
	}
	return Load(sub, "embedded migrations")
}

// OpenDir reads a migration directory on disk, for commands that plan or hash migrations.
func OpenDir(dir string) (*migrate.LocalDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create migration directory: %w", err)
	}
	d, err := migrate.NewLocalDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open migration directory %s: %w", dir, err)
	}
	return d, nil
}

// Load reads a migration directory from fsys; origin names it in errors.
func Load(fsys fs.FS, origin string) (*Source, error) {
	up, err := readSnapshot(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", origin, err)
	}
	down, err := readSnapshot(fsys, DownDir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", origin, err)
	}
	upSum, err := up.Checksum()
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", origin, err)
	}
	return &Source{up: up, down: down, upSum: upSum, origin: origin}, nil
}

// snapshotDir is a read-only migrate.Dir over files read once, so a run sees one consistent
// directory even when the files on disk change meanwhile. Atlas's MemDir is not used because
// it registers every directory by name in a process-wide table.
type snapshotDir struct {
	fstest.MapFS
}

var _ migrate.Dir = snapshotDir{}

func readSnapshot(fsys fs.FS, dir string) (snapshotDir, error) {
	snap := snapshotDir{MapFS: fstest.MapFS{}}
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return snap, nil
	}
	if err != nil {
		return snap, err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || (!strings.HasSuffix(name, ".sql") && name != migrate.HashFileName) {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return snap, err
		}
		snap.MapFS[name] = &fstest.MapFile{Data: b, Mode: 0o444}
	}
	return snap, nil
}

// WriteFile implements migrate.Dir. A snapshot is read-only.
func (d snapshotDir) WriteFile(name string, _ []byte) error {
	return fmt.Errorf("migrate: cannot write %s: the migration directory was loaded read-only", name)
}

// Files implements migrate.Dir: the *.sql files in name order, as Atlas's LocalDir lists them.
func (d snapshotDir) Files() ([]migrate.File, error) {
	names, err := fs.Glob(d.MapFS, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	files := make([]migrate.File, 0, len(names))
	for _, name := range names {
		files = append(files, migrate.NewLocalFile(name, d.MapFS[name].Data))
	}
	return files, nil
}

// Checksum implements migrate.Dir with the same hash as Atlas's LocalDir.
func (d snapshotDir) Checksum() (migrate.HashFile, error) {
	files, err := d.Files()
	if err != nil {
		return nil, err
	}
	return migrate.NewHashFile(files)
}

// Files returns the up files in version order.
func (s *Source) Files() ([]migrate.File, error) {
	return s.up.Files()
}

// Down returns the down file of version, or ErrNoDown.
func (s *Source) Down(version string) (migrate.File, error) {
	files, err := s.down.Files()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.Version() == version {
			stmts, err := f.Stmts()
			if err != nil {
				return nil, fmt.Errorf("parse down file %s: %w", f.Name(), err)
			}
			if len(stmts) == 0 {
				return nil, fmt.Errorf("%w: %s/%s has no statements", ErrNoDown, DownDir, f.Name())
			}
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w: no file for version %s in %s/ of %s", ErrNoDown, version, DownDir, s.origin)
}

// Verify checks both atlas.sum files against the files they cover.
func (s *Source) Verify() error {
	if err := verifyDir(s.up, s.origin); err != nil {
		return err
	}
	files, err := s.down.Files()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return nil
	}
	return verifyDir(s.down, s.origin+"/"+DownDir)
}

func verifyDir(d migrate.Dir, origin string) error {
	err := migrate.Validate(d)
	if err == nil {
		return nil
	}
	if errors.Is(err, migrate.ErrChecksumNotFound) {
		return fmt.Errorf("%w: %s has no atlas.sum; run `forge migrate hash` after reviewing the files", ErrChecksum, origin)
	}
	var ce *migrate.ChecksumError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w: %s: file %s was %s after atlas.sum was written; "+
			"restore it, or run `forge migrate hash` if the change is intended and not yet applied anywhere",
			ErrChecksum, origin, ce.File, ce.Reason)
	}
	return fmt.Errorf("%w: %s: %v", ErrChecksum, origin, err)
}

// Sum returns the atlas.sum hash recorded for an up file, which is also what the revision
// table stores for it.
func (s *Source) Sum(f migrate.File) (string, error) {
	return s.upSum.SumByName(f.Name())
}

// WriteSums rewrites atlas.sum in dir and in dir/down from the files on disk.
func WriteSums(dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, DownDir)} {
		local, err := OpenDir(d)
		if err != nil {
			return err
		}
		sum, err := local.Checksum()
		if err != nil {
			return fmt.Errorf("hash %s: %w", d, err)
		}
		if err := migrate.WriteSumFile(local, sum); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(d, migrate.HashFileName), err)
		}
	}
	return nil
}

// Version returns the up file of version and the text of its down file ("" when missing).
func (s *Source) Version(version string) (migrate.File, string, error) {
	files, err := s.up.Files()
	if err != nil {
		return nil, "", err
	}
	for _, f := range files {
		if f.Version() != version {
			continue
		}
		down, err := s.Down(version)
		if err != nil {
			return f, "-- " + err.Error() + "\n", nil
		}
		return f, string(down.Bytes()), nil
	}
	return nil, "", fmt.Errorf("%w: %s is not in %s; run `forge migrate status` for the versions",
		ErrUnknownVersion, version, s.origin)
}
