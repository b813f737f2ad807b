package analytics

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvBenchDatabaseURL names the seeded database the benchmarks read, for example one filled
// with `forge seed --scale large`. The benchmarks are skipped without it, and they insert and
// then delete orders dated 2100-01-01 there.
const EnvBenchDatabaseURL = "FORGE_BENCH_DATABASE_URL"

func benchPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	url := os.Getenv(EnvBenchDatabaseURL)
	if url == "" {
		b.Skipf("set %s to a seeded database to run the benchmarks", EnvBenchDatabaseURL)
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		b.Fatalf("connect to %s: %v", EnvBenchDatabaseURL, err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// rankDepth is the rank of the deep page the benchmarks read: the 10,001st customer onwards.
const rankDepth = 10_000

// BenchmarkCustomerReport measures a page of 20 customers three ways: the straightforward
// join of every order and item, the same aggregate rewritten to sum per order first, and the
// summary table. Before timing, it checks that all three return identical rows.
func BenchmarkCustomerReport(b *testing.B) {
	pool := benchPool(b)
	ctx := context.Background()
	deep := deepCursor(b, pool)
	requireSameCustomers(b, pool, CustomerParams{}, CustomerParams{})
	requireSameCustomers(b, pool, CustomerParams{Offset: rankDepth}, CustomerParams{After: &deep})

	cases := []struct {
		name  string
		query string
		p     CustomerParams
	}{
		{"plain/first_page", "customers_plain.sql", CustomerParams{}},
		{"plain/rank_10000_offset", "customers_plain.sql", CustomerParams{Offset: rankDepth}},
		{"rewrite/first_page", "customers_rewrite.sql", CustomerParams{}},
		{"summary/first_page", "customers.sql", CustomerParams{}},
		{"summary/rank_10000_keyset", "customers.sql", CustomerParams{After: &deep}},
		{"summary/rank_10000_offset", "customers.sql", CustomerParams{Offset: rankDepth}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := queryCustomers(ctx, pool, c.query, c.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// deepCursor returns the cursor of the customer at rankDepth, so the keyset page after it
// starts where OFFSET rankDepth does.
func deepCursor(b *testing.B, pool *pgxpool.Pool) Cursor {
	b.Helper()
	rows, err := CustomerMetrics(context.Background(), pool, CustomerParams{Offset: rankDepth - 1, Limit: 1})
	if err != nil || len(rows) != 1 {
		b.Fatalf("read the customer at rank %d: %d rows, %v", rankDepth, len(rows), err)
	}
	return rows[0].Cursor()
}

func requireSameCustomers(b *testing.B, pool *pgxpool.Pool, plainParams, summaryParams CustomerParams) {
	b.Helper()
	ctx := context.Background()
	want, err := PlainCustomerMetrics(ctx, pool, plainParams)
	if err != nil {
		b.Fatal(err)
	}
	rewritten, err := queryCustomers(ctx, pool, "customers_rewrite.sql", plainParams)
	if err != nil {
		b.Fatal(err)
	}
	got, err := CustomerMetrics(ctx, pool, summaryParams)
	if err != nil {
		b.Fatal(err)
	}
	for name, rows := range map[string][]CustomerMetric{"rewrite": rewritten, "summary": got} {
		if len(rows) != len(want) {
			b.Fatalf("%s returned %d rows, the plain query %d", name, len(rows), len(want))
		}
		for i := range want {
			w, g := want[i], rows[i]
			same := w.UserID == g.UserID && w.TotalOrders == g.TotalOrders && w.Tier == g.Tier &&
				w.LifetimeValue.Equal(g.LifetimeValue) && w.SignedUpAt.Equal(g.SignedUpAt) &&
				w.Name == g.Name && w.Email == g.Email &&
				(w.LastOrderAt == nil) == (g.LastOrderAt == nil) &&
				(w.LastOrderAt == nil || w.LastOrderAt.Equal(*g.LastOrderAt))
			if !same {
				b.Fatalf("%s row %d differs from the plain query: %+v, want %+v", name, i, g, w)
			}
		}
	}
}

// BenchmarkTierSummary measures the tier summary the same three ways.
func BenchmarkTierSummary(b *testing.B) {
	pool := benchPool(b)
	ctx := context.Background()
	want, err := PlainTierSummary(ctx, pool, TierParams{})
	if err != nil {
		b.Fatal(err)
	}
	got, err := TierSummary(ctx, pool, TierParams{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range want {
		if want[i].Customers != got[i].Customers || !want[i].Value.Equal(got[i].Value) {
			b.Fatalf("tier %s differs: %+v, want %+v", want[i].Tier, got[i], want[i])
		}
	}

	for _, query := range []string{"tiers_plain.sql", "tiers_rewrite.sql", "tiers.sql"} {
		b.Run(query, func(b *testing.B) {
			for b.Loop() {
				if _, err := queryTiers(ctx, pool, query, TierParams{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchOrderTime marks the orders BenchmarkPlaceOrder inserts, so it can delete them after.
const benchOrderTime = "2100-01-01Z"

// BenchmarkPlaceOrder measures what the triggers that keep customer_stats current add to a
// write: one transaction inserting an order with three items for a random user, committed,
// with the insert triggers enabled and then disabled.
func BenchmarkPlaceOrder(b *testing.B) {
	pool := benchPool(b)
	ctx := context.Background()
	var maxUser, productID int64
	err := pool.QueryRow(ctx, `SELECT (SELECT max(id) FROM users), (SELECT min(id) FROM products)`).
		Scan(&maxUser, &productID)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		// Deleting with the triggers enabled recomputes the totals of the users involved,
		// including orders placed while the triggers were disabled.
		if _, err := pool.Exec(ctx, `DELETE FROM orders WHERE created_at = $1`, benchOrderTime); err != nil {
			b.Errorf("delete benchmark orders: %v", err)
		}
	})

	place := func(b *testing.B) {
		for b.Loop() {
			userID := 1 + rand.Int64N(maxUser)
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				var orderID int64
				err := tx.QueryRow(ctx,
					`INSERT INTO orders (user_id, created_at) SELECT id, $2 FROM users WHERE id = $1 RETURNING id`,
					userID, benchOrderTime).Scan(&orderID)
				if err == pgx.ErrNoRows {
					return nil
				}
				if err != nil {
					return err
				}
				_, err = tx.Exec(ctx, `
					INSERT INTO order_items (order_id, product_id, quantity, unit_price)
					VALUES ($1, $2, 1, 9.99), ($1, $2, 2, 19.99), ($1, $2, 3, 29.99)`, orderID, productID)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("with_triggers", place)
	b.Run("without_triggers", func(b *testing.B) {
		setInsertTriggers(b, pool, "DISABLE")
		defer setInsertTriggers(b, pool, "ENABLE")
		place(b)
	})
}

func setInsertTriggers(b *testing.B, pool *pgxpool.Pool, action string) {
	b.Helper()
	for _, stmt := range []string{
		`ALTER TABLE orders ` + action + ` TRIGGER customer_stats_orders_insert`,
		`ALTER TABLE order_items ` + action + ` TRIGGER customer_stats_order_items_insert`,
	} {
		if _, err := pool.Exec(context.Background(), stmt); err != nil {
			b.Fatalf("%s: %v", stmt, err)
		}
	}
}
