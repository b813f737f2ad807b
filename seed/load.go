package seed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"
)

// maintenanceWorkMem is the least memory each index build may use inside the seed's
// transaction; a higher server setting is kept. It is memory of the server, not of the
// seeding process.
const maintenanceWorkMem = "256MB"

// raiseSetting sets a memory setting ($1) to $2 for the rest of the transaction, unless it is
// already higher.
const raiseSetting = "SELECT set_config($1, $2, true) WHERE pg_size_bytes(current_setting($1)) < pg_size_bytes($2)"

// rollbackTimeout bounds the rollback that runs after a failure or cancellation.
const rollbackTimeout = 30 * time.Second

// seeder is the state of one Run.
type seeder struct {
	cfg    Config
	world  *world
	tables []string // the data tables, and customer_stats when it exists
	plans  []*tablePlan
	report *Report
	log    func(msg string, args ...any)
}

func load(ctx context.Context, pool *pgxpool.Pool, cfg Config, counts Counts) (_ *Report, err error) {
	start := time.Now()
	s := &seeder{cfg: cfg, world: newWorld(cfg.Seed, counts)}
	s.log = func(msg string, args ...any) { cfg.Logger.InfoContext(ctx, msg, args...) }
	s.report = &Report{
		Seed: cfg.Seed, Scale: cfg.Scale, ReferenceTime: ReferenceTime,
		Counts: counts, Workers: cfg.Workers,
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect for seeding: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin seed transaction: %w", err)
	}
	defer func() {
		if err == nil {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		rerr := tx.Rollback(rctx)
		switch {
		case rerr == nil || errors.Is(rerr, pgx.ErrTxClosed):
		case conn.Conn().IsClosed():
			// A cancelled context can make pgx close the connection mid-query. The server
			// then rolls the transaction back by itself.
			cfg.Logger.Info("seed connection closed; the server rolled the transaction back", "error", rerr)
		default:
			cfg.Logger.Warn("seed rollback failed; closing the connection so the server rolls back",
				"error", rerr)
			conn.Conn().Close(rctx)
		}
	}()

	if err := s.run(ctx, tx); err != nil {
		return nil, err
	}
	commitStart := time.Now()
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit seed transaction: %w", err)
	}
	s.report.Durations.Commit = time.Since(commitStart)
	s.report.Durations.Total = time.Since(start)
	s.log("seed committed", "checksum", s.report.Checksum, "duration", s.report.Durations.Total)
	return s.report, nil
}

func (s *seeder) run(ctx context.Context, tx pgx.Tx) error {
	d := &s.report.Durations

	phaseStart := s.phase(PhasePrepare)
	captured, paused, err := s.prepare(ctx, tx)
	if err != nil {
		return err
	}
	d.Prepare = time.Since(phaseStart)

	if slices.Contains(s.tables, TableCustomerStats) {
		orderChunks := (s.world.counts.Orders + chunkRows - 1) / chunkRows
		s.world.totals = newUserTotals(s.world.counts.Users, int(orderChunks))
	}
	s.plans = newPlan(s.world)
	s.report.Counts.OrderItems = s.plans[3].rows

	phaseStart = s.phase(PhaseLoad)
	if err := s.copyAll(ctx, tx); err != nil {
		return err
	}
	d.Load = time.Since(phaseStart)

	phaseStart = s.phase(PhaseIndexes)
	if err := captured.createAll(ctx, tx); err != nil {
		return err
	}
	d.Indexes = time.Since(phaseStart)

	phaseStart = s.phase(PhaseAnalyze)
	if err := paused.resume(ctx, tx); err != nil {
		return err
	}
	if err := finish(ctx, tx, s.tables); err != nil {
		return err
	}
	if err := recordRun(ctx, tx, s.report); err != nil {
		return err
	}
	d.Analyze = time.Since(phaseStart)
	return nil
}

func (s *seeder) phase(p Phase) time.Time {
	s.log("seed phase started", "phase", p)
	if s.cfg.Progress != nil {
		s.cfg.Progress(Progress{Phase: p})
	}
	return time.Now()
}

// prepare checks that the tables exist and are empty (or empties them with Reset), locks
// them, drops the indexes and constraints the strategy rebuilds after the load, and
// disables the triggers that maintain customer_stats.
func (s *seeder) prepare(ctx context.Context, tx pgx.Tx) (*capturedSchema, pausedTriggers, error) {
	var missing []string
	for _, table := range DataTables {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
			return nil, nil, fmt.Errorf("look up table %s: %w", table, err)
		}
		if !exists {
			missing = append(missing, table)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("%w: missing tables %s (apply the migrations first)",
			ErrNotMigrated, strings.Join(missing, ", "))
	}

	s.tables = DataTables
	var hasStats bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", TableCustomerStats).Scan(&hasStats); err != nil {
		return nil, nil, fmt.Errorf("look up table %s: %w", TableCustomerStats, err)
	}
	if hasStats {
		s.tables = append(slices.Clip(DataTables), TableCustomerStats)
	}

	tables := strings.Join(s.tables, ", ")
	// The lock keeps other sessions from adding rows between the emptiness check and the load.
	if _, err := tx.Exec(ctx, "LOCK TABLE "+tables+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return nil, nil, fmt.Errorf("lock data tables: %w", err)
	}
	if !s.cfg.Reset {
		for _, table := range DataTables {
			var hasRows bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+")").Scan(&hasRows); err != nil {
				return nil, nil, fmt.Errorf("check whether %s is empty: %w", table, err)
			}
			if hasRows {
				return nil, nil, &NotEmptyError{Table: table}
			}
		}
	}

	// The customer_stats triggers go first, because their TRUNCATE trigger would rebuild
	// customer_stats while this TRUNCATE has it open.
	var paused pausedTriggers
	if hasStats {
		var err error
		if paused, err = pauseCustomerStatsTriggers(ctx, tx); err != nil {
			return nil, nil, err
		}
	}

	// TRUNCATE in this transaction, even of empty tables, is what allows COPY ... FREEZE.
	if _, err := tx.Exec(ctx, "TRUNCATE "+tables); err != nil {
		return nil, nil, fmt.Errorf("empty data tables: %w", err)
	}
	if _, err := tx.Exec(ctx, raiseSetting, "maintenance_work_mem", maintenanceWorkMem); err != nil {
		return nil, nil, fmt.Errorf("set maintenance_work_mem: %w", err)
	}
	captured, err := captureSchema(ctx, tx, s.cfg.strategy, s.tables)
	if err != nil {
		return nil, nil, err
	}
	if err := captured.dropAll(ctx, tx); err != nil {
		return nil, nil, err
	}
	return captured, paused, nil
}

// finish moves every identity sequence past the highest id, so inserts that let the
// database choose the id succeed, and refreshes the planner statistics of tables.
func finish(ctx context.Context, tx pgx.Tx, tables []string) error {
	for _, table := range DataTables {
		q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), "+
			"coalesce(max(id), 1), max(id) IS NOT NULL) FROM %s", table, table)
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("advance the id sequence of %s: %w", table, err)
		}
	}
	if _, err := tx.Exec(ctx, "ANALYZE "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("analyze %s: %w", strings.Join(tables, ", "), err)
	}
	return nil
}

// copyAll runs the generators and the COPY stream side by side. Workers fill chunks in any
// order; the stream takes them strictly in plan order, so the bytes sent do not depend on
// the worker count. The queue bounds the chunks in memory to about three per worker.
func (s *seeder) copyAll(ctx context.Context, tx pgx.Tx) error {
	g, gctx := errgroup.WithContext(ctx)
	queue := make(chan *chunk, 2*s.cfg.Workers)
	work := make(chan *chunk)
	buffers := &sync.Pool{New: func() any { return []byte(nil) }}

	g.Go(func() error {
		defer close(work)
		for _, p := range s.plans {
			for _, ch := range p.chunks {
				ch.done = make(chan struct{})
				select {
				case queue <- ch:
				case <-gctx.Done():
					return gctx.Err()
				}
				select {
				case work <- ch:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
		}
		return nil
	})
	for range s.cfg.Workers {
		g.Go(func() error {
			r := newRowRand()
			for ch := range work {
				if ch.table.name == TableCustomerStats {
					select {
					case <-s.world.totals.ordersDone:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
				s.world.generate(r, ch, buffers.Get().([]byte))
				close(ch.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		var sums []byte
		for _, p := range s.plans {
			tr, err := s.copyTable(gctx, tx, p, queue, buffers)
			if err != nil {
				return err
			}
			s.report.Tables = append(s.report.Tables, tr)
			sums = append(sums, tr.Checksum...)
		}
		sum := sha256.Sum256(sums)
		s.report.Checksum = hex.EncodeToString(sum[:])
		return nil
	})
	return g.Wait()
}

func (s *seeder) copyTable(ctx context.Context, tx pgx.Tx, p *tablePlan, queue <-chan *chunk,
	buffers *sync.Pool) (TableReport, error) {
	start := time.Now()
	r := &chunkReader{ctx: ctx, queue: queue, left: len(p.chunks), digest: sha256.New()}
	r.release = func(ch *chunk) {
		r.digest.Write(ch.sum[:])
		r.rows += ch.rows
		buffers.Put(ch.buf[:0])
		ch.buf = nil
		if s.cfg.Progress != nil {
			s.cfg.Progress(Progress{Phase: PhaseLoad, Table: p.name, Rows: r.rows, Total: p.rows,
				Elapsed: time.Since(start)})
		}
	}

	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN WITH (FREEZE)", p.name, p.columns)
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, r, sql); err != nil {
		if ctx.Err() != nil {
			return TableReport{}, ctx.Err()
		}
		return TableReport{}, fmt.Errorf("copy rows into %s: %w", p.name, err)
	}
	s.log("table loaded", "table", p.name, "rows", r.rows, "duration", time.Since(start))
	return TableReport{
		Name:     p.name,
		Rows:     r.rows,
		Checksum: hex.EncodeToString(r.digest.Sum(nil)),
		Load:     time.Since(start),
	}, nil
}

// chunkReader presents one table's chunks, in plan order, as the io.Reader that COPY reads.
type chunkReader struct {
	ctx     context.Context
	queue   <-chan *chunk
	left    int // chunks of this table not yet taken from the queue
	cur     *chunk
	off     int
	rows    int64
	digest  hash.Hash
	release func(*chunk)
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for r.cur == nil || r.off == len(r.cur.buf) {
		if r.cur != nil {
			r.release(r.cur)
			r.cur = nil
		}
		if r.left == 0 {
			return 0, io.EOF
		}
		var ch *chunk
		select {
		case ch = <-r.queue:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
		select {
		case <-ch.done:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
		r.cur, r.off = ch, 0
		r.left--
	}
	n := copy(p, r.cur.buf[r.off:])
	r.off += n
	return n, nil
}
