package seed

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"

	"github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/internal/pgtest"
)

// Environment variables of BenchmarkLoad.
const (
	envBenchScale      = "FORGE_BENCH_SCALE"      // scale of the reference and Forge loads; default demo
	envBenchEntScale   = "FORGE_BENCH_ENT_SCALE"  // scale of the ent load; default the same
	envBenchStrategies = "FORGE_BENCH_STRATEGIES" // "1" also loads with the other index strategies
)

// BenchmarkLoad compares, in one run against one server, three ways to load the same rows:
//
//   - reference: server-side COPY from files already on disk, the same rows as Run's
//     including customer_stats, into tables without indexes, keys or the customer_stats
//     triggers, then building the indexes and constraints, in one transaction: the practical
//     ingest limit of the server. ANALYZE, which Run also does, is timed apart and logged;
//   - forge: Run, which generates the rows while it loads them;
//   - ent: CreateBulk in batches of 1,000, one transaction per batch, into the migrated schema.
//
// Every load goes into a fresh migrated database. Run it once per sub-benchmark:
//
//	FORGE_BENCH_SCALE=large FORGE_BENCH_ENT_SCALE=small \
//	    go test ./seed -run '^$' -bench Load -benchtime 1x -timeout 2h
func BenchmarkLoad(b *testing.B) {
	scale := envOr(envBenchScale, ScaleDemo)
	entScale := envOr(envBenchEntScale, scale)
	cfg := Config{Seed: DefaultSeed, Scale: scale}

	b.Run("reference/"+scale, func(b *testing.B) { benchReference(b, cfg) })
	b.Run("forge/"+scale, func(b *testing.B) { benchForge(b, cfg) })
	if os.Getenv(envBenchStrategies) == "1" {
		for _, s := range []indexStrategy{dropForeignKeys, keepAll} {
			strategyCfg := cfg
			strategyCfg.strategy = s
			name := "forge-" + strings.ReplaceAll(s.String(), " ", "-") + "/" + scale
			b.Run(name, func(b *testing.B) { benchForge(b, strategyCfg) })
		}
	}
	if entScale != scale {
		entCfg := Config{Seed: DefaultSeed, Scale: entScale}
		b.Run("reference/"+entScale, func(b *testing.B) { benchReference(b, entCfg) })
		b.Run("forge/"+entScale, func(b *testing.B) { benchForge(b, entCfg) })
	}
	b.Run("ent/"+entScale, func(b *testing.B) { benchEnt(b, Config{Seed: DefaultSeed, Scale: entScale}) })
}

func benchForge(b *testing.B, cfg Config) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		db := pgtest.New(b)
		resetPeakRSS(b)
		b.StartTimer()

		report, err := Run(ctx, db.Pool, cfg)
		if err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		d := report.Durations
		b.ReportMetric(float64(totalRows(report.Counts))/d.Total.Seconds(), "rows/s")
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MB")
		b.Logf("forge %s workers=%d strategy=%q: prepare %s, load %s, indexes %s, analyze %s, commit %s, total %s",
			cfg.Scale, report.Workers, cfg.strategy, d.Prepare, d.Load, d.Indexes, d.Analyze, d.Commit, d.Total)
	}
}

func benchReference(b *testing.B, cfg Config) {
	ctx := context.Background()
	counts, err := resolveCounts(cfg.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	w := newWorld(cfg.Seed, counts)
	w.totals = newUserTotals(counts.Users, int((counts.Orders+chunkRows-1)/chunkRows))
	plans := newPlan(w)
	dir := writeCopyFiles(b, w, plans)

	for range b.N {
		b.StopTimer()
		db := pgtest.New(b)
		b.StartTimer()

		start := time.Now()
		tx, err := db.Pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		paused, err := pauseCustomerStatsTriggers(ctx, tx)
		if err != nil {
			b.Fatal(err)
		}
		mustExec(b, tx, "TRUNCATE "+strings.Join(loadedTables, ", "))
		captured, err := captureSchema(ctx, tx, dropIndexesAndForeignKeys, loadedTables)
		if err != nil {
			b.Fatal(err)
		}
		if err := captured.dropAll(ctx, tx); err != nil {
			b.Fatal(err)
		}
		prepared := time.Now()
		for _, p := range plans {
			file := filepath.Join(dir, p.name+".copy")
			mustExec(b, tx, fmt.Sprintf("COPY %s (%s) FROM '%s' WITH (FREEZE)", p.name, p.columns, file))
		}
		copied := time.Now()
		if err := captured.createAll(ctx, tx); err != nil {
			b.Fatal(err)
		}
		if err := paused.resume(ctx, tx); err != nil {
			b.Fatal(err)
		}
		indexed := time.Now()
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		total := committed.Sub(start)

		b.StopTimer()
		// ANALYZE is not part of the reference; it is timed apart for comparison with Run,
		// which includes it.
		analyzeStart := time.Now()
		if _, err := db.Pool.Exec(ctx, "ANALYZE "+strings.Join(loadedTables, ", ")); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(totalRows(plansCounts(plans)))/total.Seconds(), "rows/s")
		b.Logf("reference %s: prepare %s, copy %s, indexes %s, commit %s, total %s (ANALYZE afterwards %s)",
			cfg.Scale, prepared.Sub(start), copied.Sub(prepared), indexed.Sub(copied), committed.Sub(indexed),
			total, time.Since(analyzeStart))
	}
}

// writeCopyFiles writes every table in COPY text format, exactly the bytes Run sends, into
// a directory the server's account can read.
func writeCopyFiles(b *testing.B, w *world, plans []*tablePlan) string {
	b.Helper()
	dir, err := os.MkdirTemp("", "forge-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	// The server may run under its own account when the benchmark runs as root.
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	r := newRowRand()
	var buf []byte
	for _, p := range plans {
		f, err := os.OpenFile(filepath.Join(dir, p.name+".copy"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		for _, ch := range p.chunks {
			w.generate(r, ch, buf)
			if _, err := bw.Write(ch.buf); err != nil {
				b.Fatal(err)
			}
			buf = ch.buf
		}
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func benchEnt(b *testing.B, cfg Config) {
	ctx := context.Background()
	counts, err := resolveCounts(cfg.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	w := newWorld(cfg.Seed, counts)
	plans := newPlan(w)

	for range b.N {
		b.StopTimer()
		db := pgtest.New(b)
		client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, stdlib.OpenDBFromPool(db.Pool))))
		b.StartTimer()

		start := time.Now()
		l := &entLoader{ctx: ctx, b: b, client: client}
		r := newRowRand()
		for id := int64(1); id <= counts.Users; id++ {
			u := w.user(r, id)
			c := l.tx().User.Create().SetID(u.id).SetName(u.name).SetEmail(u.email).
				SetPasswordHash(DemoPasswordHash).SetCreatedAt(u.created).SetUpdatedAt(u.updated)
			if !u.deleted.IsZero() {
				c.SetDeletedAt(u.deleted)
			}
			l.users = append(l.users, c)
			l.flushIfFull()
		}
		l.flush()
		for id := int64(1); id <= counts.Products; id++ {
			p := w.product(r, id)
			l.products = append(l.products, l.tx().Product.Create().SetID(p.id).SetName(p.name).
				SetPrice(decimal.New(p.priceCents, -2)))
			l.flushIfFull()
		}
		l.flush()
		for id := int64(1); id <= counts.Orders; id++ {
			o := w.order(r, id)
			l.orders = append(l.orders, l.tx().Order.Create().SetID(o.id).SetUserID(o.userID).SetCreatedAt(o.created))
			l.flushIfFull()
		}
		l.flush()
		var items []itemRow
		next := int64(1)
		for id := int64(1); id <= counts.Orders; id++ {
			items = w.items(r, id, next, items[:0])
			next += int64(len(items))
			for _, it := range items {
				l.items = append(l.items, l.tx().OrderItem.Create().SetID(it.id).SetOrderID(it.orderID).
					SetProductID(it.productID).SetQuantity(it.quantity).SetUnitPrice(decimal.New(it.unitPriceCents, -2)))
				l.flushIfFull()
			}
		}
		l.flush()
		for id := int64(1); id <= counts.Tokens; id++ {
			t := w.token(r, id)
			l.tokens = append(l.tokens, l.tx().AuthToken.Create().SetID(t.id).SetUserID(t.userID).
				SetTokenHash(t.hash[:]).SetCreatedAt(t.created).SetExpiresAt(t.expires))
			l.flushIfFull()
		}
		l.flush()
		total := time.Since(start)

		b.StopTimer()
		client.Close()
		b.ReportMetric(float64(totalRows(plansCounts(plans)))/total.Seconds(), "rows/s")
		b.Logf("ent CreateBulk %s: %d rows in %s", cfg.Scale, totalRows(plansCounts(plans)), total)
	}
}

// entBatch is the number of rows per CreateBulk call and per transaction.
const entBatch = 1_000

// entLoader inserts rows the way an application would: CreateBulk batches of entBatch rows,
// each batch in its own transaction.
type entLoader struct {
	ctx    context.Context
	b      *testing.B
	client *ent.Client
	cur    *ent.Tx

	users    []*ent.UserCreate
	products []*ent.ProductCreate
	orders   []*ent.OrderCreate
	items    []*ent.OrderItemCreate
	tokens   []*ent.AuthTokenCreate
}

func (l *entLoader) tx() *ent.Tx {
	if l.cur == nil {
		tx, err := l.client.Tx(l.ctx)
		if err != nil {
			l.b.Fatal(err)
		}
		l.cur = tx
	}
	return l.cur
}

func (l *entLoader) flushIfFull() {
	if len(l.users)+len(l.products)+len(l.orders)+len(l.items)+len(l.tokens) >= entBatch {
		l.flush()
	}
}

func (l *entLoader) flush() {
	if l.cur == nil {
		return
	}
	var err error
	switch {
	case len(l.users) > 0:
		err = l.cur.User.CreateBulk(l.users...).Exec(l.ctx)
	case len(l.products) > 0:
		err = l.cur.Product.CreateBulk(l.products...).Exec(l.ctx)
	case len(l.orders) > 0:
		err = l.cur.Order.CreateBulk(l.orders...).Exec(l.ctx)
	case len(l.items) > 0:
		err = l.cur.OrderItem.CreateBulk(l.items...).Exec(l.ctx)
	case len(l.tokens) > 0:
		err = l.cur.AuthToken.CreateBulk(l.tokens...).Exec(l.ctx)
	}
	if err != nil {
		l.b.Fatal(err)
	}
	if err := l.cur.Commit(); err != nil {
		l.b.Fatal(err)
	}
	l.cur = nil
	l.users, l.products, l.orders, l.items, l.tokens = l.users[:0], l.products[:0], l.orders[:0], l.items[:0], l.tokens[:0]
}

func mustExec(b *testing.B, tx pgx.Tx, sql string) {
	b.Helper()
	if _, err := tx.Exec(context.Background(), sql); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

func plansCounts(plans []*tablePlan) Counts {
	return Counts{Users: plans[0].rows, Products: plans[1].rows, Orders: plans[2].rows,
		OrderItems: plans[3].rows, Tokens: plans[4].rows}
}

func totalRows(c Counts) int64 { return c.Users + c.Products + c.Orders + c.OrderItems + c.Tokens }

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// resetPeakRSS resets the kernel's record of the process's peak resident memory (Linux 4.0
// and later), so peakRSS measures from here.
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS, so it includes earlier work: %v", err)
	}
}

// peakRSS returns the process's peak resident memory in bytes, from VmHWM.
func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("VmHWM missing from /proc/self/status")
	return 0
}
