package seed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// FormatVersion identifies the generator's output. It changes whenever a change to this
// package changes the generated rows, so equal seeds give equal data only at equal
// FormatVersion.
const FormatVersion = 1

// DefaultSeed is the seed the forge command uses when none is given.
const DefaultSeed int64 = 1

// Config selects what to generate and how to load it.
type Config struct {
	// Seed selects the data; pass DefaultSeed for the standard data set. Any int64 except 0
	// is valid. 0 is rejected with ErrInvalidSeed, because in many generators it means
	// "random" and Forge never seeds randomly.
	Seed int64
	// Scale is "demo" (default, 10,000 users), "small" (100,000) or "large" (1,000,000).
	Scale string
	// Users, Products, Orders and Tokens override the scale's count where > 0. Counts left at
	// 0 follow from the user count by the scale ratios (3 orders and 0.5 tokens per user, one
	// product per 100 users, 10 to 10,000). Order items are 1 to 5 per order.
	Users, Products, Orders, Tokens int
	// Workers is the number of goroutines generating rows. Default runtime.NumCPU(). It
	// changes the speed, never the data.
	Workers int
	// Reset empties the data tables, and customer_stats, first. Without it a data table with
	// rows is rejected with ErrNotEmpty. The migration history and seed_runs are never emptied.
	Reset bool
	// AllowRemote permits a database that is not reached through a Unix socket or a loopback
	// address. Without it such a database is rejected with a *RemoteError.
	AllowRemote bool
	// Logger receives phase starts and ends. Default: discard.
	Logger *slog.Logger
	// Progress, when set, is called after each chunk of rows and at the start of each
	// phase, from one goroutine at a time. It must return quickly.
	Progress func(Progress)

	// strategy selects how indexes and constraints are handled during the load; the
	// benchmarks compare the strategies.
	strategy indexStrategy
}

// Progress is a snapshot of a running seed.
type Progress struct {
	Phase   Phase
	Table   string        // the table being loaded; empty outside PhaseLoad
	Rows    int64         // rows of Table sent so far
	Total   int64         // rows Table will have
	Elapsed time.Duration // time since Table's COPY started, or since the phase started
}

// Phase is a step of a seed, in the order they run.
type Phase string

// Phases of a seed.
const (
	PhasePrepare Phase = "prepare" // checks, locks, TRUNCATE, dropping indexes, keys and triggers
	PhaseLoad    Phase = "load"    // COPY of every table
	PhaseIndexes Phase = "indexes" // rebuilding indexes and validating foreign keys
	PhaseAnalyze Phase = "analyze" // triggers, sequences, ANALYZE and the seed_runs row
)

// Report describes a completed seed. Checksum identifies the data: it is equal for equal
// Seed, Counts and FormatVersion.
type Report struct {
	Seed          int64
	Scale         string
	ReferenceTime time.Time
	Counts        Counts
	Checksum      string // hex SHA-256 over the table checksums in load order
	Tables        []TableReport
	Workers       int
	Durations     Durations
}

// TableReport is one table's share of a seed.
type TableReport struct {
	Name     string
	Rows     int64
	Checksum string // hex SHA-256 over the SHA-256 of each chunk of the COPY text stream
	Load     time.Duration
}

// Durations splits a seed's wall time by phase.
type Durations struct {
	Prepare, Load, Indexes, Analyze, Commit, Total time.Duration
}

// Errors that callers can test with errors.Is.
var (
	ErrInvalidSeed  = errors.New("invalid seed")
	ErrInvalidScale = errors.New("invalid scale")
	ErrInvalidCount = errors.New("invalid count")
	ErrNotMigrated  = errors.New("database is not migrated")
	ErrNotEmpty     = errors.New("database is not empty")
)

// NotEmptyError reports the first data table found with rows. It matches ErrNotEmpty.
type NotEmptyError struct{ Table string }

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("table %s already has rows; seeding would mix two data sets "+
		"(set Reset to empty the data tables first)", e.Table)
}

func (e *NotEmptyError) Is(target error) bool { return target == ErrNotEmpty }

// RemoteError reports a database host that is not on this machine.
type RemoteError struct{ Host string }

func (e *RemoteError) Error() string {
	return fmt.Sprintf("database host %q is not on this machine, and seeding replaces its data "+
		"(set AllowRemote to seed it anyway)", e.Host)
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Scale == "" {
		c.Scale = ScaleDemo
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Run generates the data set of cfg and loads it into the database of pool in one
// transaction. On any error, including a cancelled ctx, the database is left unchanged.
func Run(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if cfg.Seed == 0 {
		return nil, fmt.Errorf("%w: 0 (set any other int64, such as DefaultSeed)", ErrInvalidSeed)
	}
	counts, err := resolveCounts(cfg)
	if err != nil {
		return nil, err
	}
	if !cfg.AllowRemote {
		if err := checkLocal(pool.Config().ConnConfig); err != nil {
			return nil, err
		}
	}
	return load(ctx, pool, cfg, counts)
}
