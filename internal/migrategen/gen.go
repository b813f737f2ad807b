// Package migrategen plans Forge's versioned migrations from the ent schema with Atlas. It
// replays the migration directory on a throwaway dev database, diffs the result against the
// ent schema, and writes the up file, the down file that reverses it, and both checksums.
package migrategen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	entschema "entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"

	entmigrate "github.com/forgedb/forge/ent/migrate"
	"github.com/forgedb/forge/internal/devdb"
	forgemigrate "github.com/forgedb/forge/migrate"
)

// Options selects what part of the ent schema a new migration covers. The zero value plans
// every difference; the filters exist to split a history into reviewable steps.
type Options struct {
	// Name is the migration's name, the part of the file name after the version.
	Name string
	// Tables limits new tables to these names; tables that exist already are always diffed.
	Tables []string
	// SkipIndexes leaves out new non-unique indexes, so they can get a migration of their own.
	SkipIndexes bool
	// Version overrides the timestamp version, for reproducible tests.
	Version string
}

// Result names the files a generation wrote. Both are empty when the schema had no change.
type Result struct {
	UpFile, DownFile string
	Statements       int
	Concurrent       bool // the file runs outside a transaction to build indexes concurrently
}

var validName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Generate plans the next migration into dir. adminURL must reach a server on which the role
// may create and drop databases; a throwaway database is made there for the diff.
func Generate(ctx context.Context, adminURL, dir string, opts Options) (*Result, error) {
	if !validName.MatchString(opts.Name) {
		return nil, fmt.Errorf("invalid migration name %q: use lower-case letters, digits and underscores, "+
			"for example add_user_phone", opts.Name)
	}
	dev, cleanup, err := createDevDatabase(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	local, err := forgemigrate.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	files, err := local.Files()
	if err != nil {
		return nil, err
	}
	drv, err := postgres.Open(dev)
	if err != nil {
		return nil, fmt.Errorf("open dev database: %w", err)
	}
	// Atlas normalizes on a clean database, so the ent schema goes first, then the replay.
	desired, err := desiredSchema(ctx, dev, drv)
	if err != nil {
		return nil, err
	}
	if err := replay(ctx, dev, files); err != nil {
		return nil, err
	}
	current, err := drv.InspectSchema(ctx, "public", nil)
	if err != nil {
		return nil, fmt.Errorf("inspect replayed schema: %w", err)
	}
	filterDesired(desired, current, opts)
	changes, err := drv.SchemaDiff(current, desired)
	if err != nil {
		return nil, fmt.Errorf("diff schema: %w", err)
	}
	changes = keepTableChanges(changes)
	if len(changes) == 0 {
		return &Result{}, nil
	}
	concurrent := markConcurrentIndexes(changes, current)
	version := opts.Version
	if version == "" {
		version = time.Now().UTC().Format("20060102150405")
	}
	up, err := drv.PlanChanges(ctx, opts.Name, changes, unqualified)
	if err != nil {
		return nil, fmt.Errorf("plan up migration: %w", err)
	}
	up.Version = version
	if concurrent {
		up.Directives = append(up.Directives, "-- atlas:txmode none")
	}
	down, err := planDown(ctx, dev, drv, up, current)
	if err != nil {
		return nil, err
	}
	down.Version = version
	return writePlans(dir, up, down, concurrent)
}

// desiredSchema converts the ent tables to Atlas's representation and normalizes it on the
// dev database, so it compares equal to an inspected schema.
func desiredSchema(ctx context.Context, dev *sql.DB, drv migrate.Driver) (*atlas.Schema, error) {
	ent, err := entschema.NewMigrate(entsql.OpenDB(dialect.Postgres, dev))
	if err != nil {
		return nil, err
	}
	realm, err := ent.StateReader(entmigrate.Tables...).ReadState(ctx)
	if err != nil {
		return nil, fmt.Errorf("read ent schema: %w", err)
	}
	if len(realm.Schemas) != 1 {
		return nil, fmt.Errorf("ent schema spans %d database schemas; Forge expects one", len(realm.Schemas))
	}
	desired := realm.Schemas[0]
	desired.Name = "public"
	normalized, err := drv.(atlas.Normalizer).NormalizeSchema(ctx, desired)
	if err != nil {
		return nil, fmt.Errorf("normalize ent schema on dev database: %w", err)
	}
	return normalized, nil
}

func filterDesired(desired, current *atlas.Schema, opts Options) {
	if len(opts.Tables) > 0 {
		desired.Tables = slices.DeleteFunc(desired.Tables, func(t *atlas.Table) bool {
			_, exists := current.Table(t.Name)
			return !exists && !slices.Contains(opts.Tables, t.Name)
		})
		for _, t := range desired.Tables {
			t.ForeignKeys = slices.DeleteFunc(t.ForeignKeys, func(fk *atlas.ForeignKey) bool {
				_, refIncluded := desired.Table(fk.RefTable.Name)
				return !refIncluded
			})
		}
	}
	if opts.SkipIndexes {
		for _, t := range desired.Tables {
			existing, _ := current.Table(t.Name)
			t.Indexes = slices.DeleteFunc(t.Indexes, func(idx *atlas.Index) bool {
				if idx.Unique || existing == nil {
					return !idx.Unique
				}
				_, had := existing.Index(idx.Name)
				return !had
			})
		}
	}
}

// keepTableChanges drops changes to objects ent does not describe (such as tables, functions
// and triggers written by hand in a migration), as ent's own planner does.
func keepTableChanges(changes []atlas.Change) []atlas.Change {
	return slices.DeleteFunc(changes, func(c atlas.Change) bool {
		switch c.(type) {
		case *atlas.AddTable, *atlas.ModifyTable:
			return false
		}
		return true
	})
}

// markConcurrentIndexes builds indexes on tables that existed before this migration with
// CREATE INDEX CONCURRENTLY, which does not block writes, and reports whether it did.
func markConcurrentIndexes(changes []atlas.Change, current *atlas.Schema) bool {
	marked := false
	for _, c := range changes {
		m, ok := c.(*atlas.ModifyTable)
		if !ok {
			continue
		}
		if _, existed := current.Table(m.T.Name); !existed {
			continue
		}
		for _, mc := range m.Changes {
			switch ic := mc.(type) {
			case *atlas.AddIndex:
				ic.Extra = append(ic.Extra, &postgres.Concurrently{})
				marked = true
			case *atlas.DropIndex:
				ic.Extra = append(ic.Extra, &postgres.Concurrently{})
				marked = true
			}
		}
	}
	return marked
}

// planDown applies the up plan on the dev database and plans the way back to current. It
// then applies the down plan and checks that the schema is current again, so every down
// file is proved to reverse its up file before it is written.
func planDown(ctx context.Context, dev *sql.DB, drv migrate.Driver, up *migrate.Plan, current *atlas.Schema) (*migrate.Plan, error) {
	if err := execPlan(ctx, dev, up); err != nil {
		return nil, fmt.Errorf("apply planned up migration on dev database: %w", err)
	}

	after, err := drv.InspectSchema(ctx, current.Name, nil)
	if err != nil {
		return nil, err
	}
	changes, err := drv.SchemaDiff(after, current)
	if err != nil {
		return nil, fmt.Errorf("diff down migration: %w", err)
	}
	markConcurrentIndexes(changes, after)
	down, err := drv.PlanChanges(ctx, up.Name, changes, unqualified)
	if err != nil {
		return nil, fmt.Errorf("plan down migration: %w", err)
	}
	if len(up.Directives) > 0 {
		down.Directives = up.Directives
	}

	// Prove the plan: after the down file, the schema must be the one before the up file.
	if err := execPlan(ctx, dev, down); err != nil {
		return nil, fmt.Errorf("apply planned down migration on dev database: %w", err)
	}
	back, err := drv.InspectSchema(ctx, current.Name, nil)
	if err != nil {
		return nil, err
	}
	left, err := drv.SchemaDiff(back, current)
	if err != nil {
		return nil, err
	}
	if len(left) > 0 {
		return nil, fmt.Errorf("planned down migration does not restore the previous schema (%d differences left); "+
			"write the down file by hand", len(left))
	}
	return down, nil
}

func execPlan(ctx context.Context, db *sql.DB, plan *migrate.Plan) error {
	for _, c := range plan.Changes {
		if _, err := db.ExecContext(ctx, c.Cmd); err != nil {
			return fmt.Errorf("%s: %w", c.Cmd, err)
		}
	}
	return nil
}

func replay(ctx context.Context, db *sql.DB, files []migrate.File) error {
	for _, f := range files {
		stmts, err := f.Stmts()
		if err != nil {
			return fmt.Errorf("parse %s: %w", f.Name(), err)
		}
		for _, s := range stmts {
			if _, err := db.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("replay %s on dev database: %s: %w", f.Name(), s, err)
			}
		}
	}
	return nil
}

// writePlans writes the up file into dir and the down file into dir/down, then rehashes both
// checksum files.
func writePlans(dir string, up, down *migrate.Plan, concurrent bool) (*Result, error) {
	upFiles, err := migrate.DefaultFormatter.Format(up)
	if err != nil {
		return nil, err
	}
	downFiles, err := migrate.DefaultFormatter.Format(down)
	if err != nil {
		return nil, err
	}
	if len(upFiles) != 1 || len(downFiles) != 1 {
		return nil, errors.New("atlas formatter returned more than one file per plan")
	}
	res := &Result{
		UpFile:     filepath.Join(dir, upFiles[0].Name()),
		DownFile:   filepath.Join(dir, forgemigrate.DownDir, downFiles[0].Name()),
		Statements: len(up.Changes),
		Concurrent: concurrent,
	}
	if err := os.MkdirAll(filepath.Dir(res.DownFile), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(res.UpFile, upFiles[0].Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(res.DownFile, downFiles[0].Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := forgemigrate.WriteSums(dir); err != nil {
		return nil, err
	}
	return res, nil
}

// unqualified plans statements without the schema name, so the files apply to whatever
// schema the connection's search_path selects, as the Atlas CLI's files do.
func unqualified(o *migrate.PlanOptions) {
	empty := ""
	o.SchemaQualifier = &empty
}

// createDevDatabase creates a throwaway database and returns a connection to it and a
// function that closes the connection and drops the database.
func createDevDatabase(ctx context.Context, adminURL string) (*sql.DB, func(), error) {
	cfg, drop, err := devdb.Create(ctx, adminURL)
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDB(*cfg)
	return db, func() { _ = db.Close(); drop() }, nil
}
