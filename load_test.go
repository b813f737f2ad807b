package forge_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
)

// loadClients is the number of goroutines that place orders and verify tokens at once.
const loadClients = 16

// loadFixture is the data a load run works on: users with a live token each, and products
// whose prices stay fixed, so the expected total of every order is known in advance.
type loadFixture struct {
	userIDs  []int64
	tokens   []string
	prices   map[int64]decimal.Decimal
	products []int64
}

func newLoadFixture(t *testing.T, db *forge.DB, users int) *loadFixture {
	t.Helper()
	ctx := context.Background()
	f := &loadFixture{prices: map[int64]decimal.Decimal{}}
	for i, price := range []string{"0.01", "0.10", "1.99", "9.95", "19.99", "100.00", "999.99", "3.33"} {
		id := createProduct(t, db, fmt.Sprintf("Product %d", i+1), price)
		f.products = append(f.products, id)
		f.prices[id] = mustDecimal(price)
	}
	for i := range users {
		id := createUser(t, db, fmt.Sprintf("load%d@example.com", i+1))
		token, err := db.IssueToken(ctx, id, time.Hour)
		require.NoError(t, err)
		f.userIDs = append(f.userIDs, id)
		f.tokens = append(f.tokens, token.Token)
	}
	return f
}

// committedOrder is what a client knows about an order whose PlaceOrder returned nil.
type committedOrder struct {
	userID int64
	items  int
	total  decimal.Decimal
}

// loadResult collects the outcome of every call of a load run.
type loadResult struct {
	mu        sync.Mutex
	committed map[int64]committedOrder
	errs      []timedError
	verified  int
}

type timedError struct {
	at  time.Time
	err error
}

func (r *loadResult) addError(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, timedError{at: time.Now(), err: err})
	r.mu.Unlock()
}

// runLoad runs loadClients goroutines until stop is closed. Each places an order of one to
// four random lines for a random user, then verifies that user's token. Calls are never
// canceled, because a commit interrupted by cancellation leaves its outcome unknown.
func runLoad(stop <-chan struct{}, db *forge.DB, f *loadFixture) *loadResult {
	res := &loadResult{committed: map[int64]committedOrder{}}
	var wg sync.WaitGroup
	for worker := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(worker), 42))
			for {
				select {
				case <-stop:
					return
				default:
					if !loadStep(context.Background(), db, f, rng, res) {
						// Back off after a failure, so an outage does not become a busy loop.
						time.Sleep(10 * time.Millisecond)
					}
				}
			}
		}()
	}
	wg.Wait()
	return res
}

// loadStep places one order and verifies one token, and reports whether both succeeded.
func loadStep(ctx context.Context, db *forge.DB, f *loadFixture, rng *rand.Rand, res *loadResult) bool {
	u := rng.IntN(len(f.userIDs))
	lines := make([]forge.OrderLine, 1+rng.IntN(4))
	want := decimal.Zero
	for i := range lines {
		id := f.products[rng.IntN(len(f.products))]
		lines[i] = forge.OrderLine{ProductID: id, Quantity: int32(1 + rng.IntN(5))}
		want = want.Add(f.prices[id].Mul(decimal.NewFromInt32(lines[i].Quantity)))
	}

	o, err := db.PlaceOrder(ctx, f.userIDs[u], lines)
	ok := err == nil
	switch {
	case err == nil:
		res.mu.Lock()
		res.committed[o.ID] = committedOrder{userID: f.userIDs[u], items: len(lines), total: want}
		res.mu.Unlock()
	default:
		res.addError(err)
	}

	user, err := db.VerifyToken(ctx, f.tokens[u])
	ok = ok && err == nil
	switch {
	case err == nil && user.ID == f.userIDs[u]:
		res.mu.Lock()
		res.verified++
		res.mu.Unlock()
	case err == nil:
		res.addError(errors.New("token verified for the wrong user"))
	default:
		res.addError(err)
	}
	return ok
}

// requireOrdersIntact checks that every committed order is stored with all its items and
// its exact total, and that the per-customer totals kept by triggers match the items.
func requireOrdersIntact(t *testing.T, db *forge.DB, res *loadResult) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT o.id, o.user_id, count(oi.id), sum(oi.quantity * oi.unit_price)
		FROM orders o JOIN order_items oi ON oi.order_id = o.id GROUP BY o.id`)
	require.NoError(t, err)
	stored := map[int64]committedOrder{}
	for rows.Next() {
		var id int64
		var o committedOrder
		require.NoError(t, rows.Scan(&id, &o.userID, &o.items, &o.total))
		stored[id] = o
	}
	require.NoError(t, rows.Err())

	for id, want := range res.committed {
		got, ok := stored[id]
		require.True(t, ok, "committed order %d is missing", id)
		require.Equal(t, want.userID, got.userID, "order %d", id)
		require.Equal(t, want.items, got.items, "order %d", id)
		require.True(t, want.total.Equal(got.total), "order %d: total %s, expected %s", id, got.total, want.total)
	}

	var mismatched int
	err = db.Pool.QueryRow(ctx, `SELECT count(*) FROM customer_stats s FULL JOIN (
			SELECT o.user_id, count(DISTINCT o.id) AS orders, sum(oi.quantity * oi.unit_price) AS value
			FROM orders o JOIN order_items oi ON oi.order_id = o.id GROUP BY o.user_id) a USING (user_id)
		WHERE COALESCE(a.orders, 0) <> COALESCE(s.total_orders, 0)
		   OR COALESCE(a.value, 0) <> COALESCE(s.lifetime_value, 0)`).Scan(&mismatched)
	require.NoError(t, err)
	require.Zero(t, mismatched, "customer_stats rows differ from the orders they summarize")
}

func TestConcurrentLoad(t *testing.T) {
	t.Parallel()
	tdb := openTestDBWith(t, forge.Config{MaxConns: loadClients})
	f := newLoadFixture(t, tdb, 40)

	duration := 3 * time.Second
	if testing.Short() {
		duration = time.Second
	}
	stop := make(chan struct{})
	time.AfterFunc(duration, func() { close(stop) })
	res := runLoad(stop, tdb, f)

	for _, e := range res.errs {
		require.NoError(t, e.err)
	}
	require.NotEmpty(t, res.committed)
	require.Positive(t, res.verified)
	t.Logf("%d orders committed and %d tokens verified by %d clients in %s",
		len(res.committed), res.verified, loadClients, duration)

	var stored int
	require.NoError(t, tdb.Pool.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&stored))
	require.Equal(t, len(res.committed), stored, "orders stored that no client saw committed")
	requireOrdersIntact(t, tdb, res)
}
