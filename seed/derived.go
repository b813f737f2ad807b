package seed

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// TableCustomerStats is the per-user summary of orders that triggers on users, orders and
// order_items keep current. Those statement triggers aggregate each COPY's transition table,
// and rebuilding the table after the load took 15 to 20 s at the large scale, more than
// the COPY of every table. So when the table exists, the seeder disables the triggers for
// the load and writes the table itself from totals it sums while generating orders. A test
// checks the result row for row against customer_stats_rebuild().
const TableCustomerStats = "customer_stats"

// customerStatsTriggerPrefix is the name prefix of the triggers that maintain customer_stats.
const customerStatsTriggerPrefix = "customer_stats_"

// userTotals accumulates, per user id, what customer_stats stores: 24 bytes per user, so
// 24 MB at 1,000,000 users. Workers add to it concurrently with atomic operations.
type userTotals struct {
	orders    []int64
	cents     []int64
	lastOrder []int64 // Unix seconds of the latest order, 0 for none

	ordersLeft atomic.Int64  // order chunks not yet generated
	ordersDone chan struct{} // closed when every order chunk is generated
}

func newUserTotals(users int64, orderChunks int) *userTotals {
	t := &userTotals{
		orders:     make([]int64, users+1),
		cents:      make([]int64, users+1),
		lastOrder:  make([]int64, users+1),
		ordersDone: make(chan struct{}),
	}
	t.ordersLeft.Store(int64(orderChunks))
	if orderChunks == 0 {
		close(t.ordersDone)
	}
	return t
}

// addOrder counts one order of userID with the given value and time.
func (t *userTotals) addOrder(userID, cents, unix int64) {
	atomic.AddInt64(&t.orders[userID], 1)
	atomic.AddInt64(&t.cents[userID], cents)
	for {
		last := atomic.LoadInt64(&t.lastOrder[userID])
		if unix <= last || atomic.CompareAndSwapInt64(&t.lastOrder[userID], last, unix) {
			return
		}
	}
}

// orderChunkDone records a generated order chunk; the last one releases the customer_stats
// chunks, which need every order.
func (t *userTotals) orderChunkDone() {
	if t.ordersLeft.Add(-1) == 0 {
		close(t.ordersDone)
	}
}

// orderValueCents returns the sum of quantity x unit price of the order's items.
func (w *world) orderValueCents(r *rowRand, orderID int64, buf []itemRow) ([]itemRow, int64) {
	buf = w.items(r, orderID, 0, buf[:0])
	var cents int64
	for _, it := range buf {
		cents += int64(it.quantity) * it.unitPriceCents
	}
	return buf, cents
}

// appendCustomerStats writes the customer_stats row of a user as customer_stats_rebuild()
// would: a user without orders has lifetime value 0 and no last order.
func (w *world) appendCustomerStats(b []byte, userID int64) []byte {
	facts := w.userFactsOf(userID)
	t := w.totals
	b = strconv.AppendInt(b, userID, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, t.orders[userID], 10)
	b = append(b, '\t')
	if t.orders[userID] == 0 {
		b = append(b, "0\t\\N"...)
	} else {
		b = appendCents(b, t.cents[userID])
		b = append(b, '\t')
		b = appendTime(b, unixTime(t.lastOrder[userID]))
	}
	b = append(b, '\t')
	b = appendTime(b, facts.created)
	b = append(b, '\t')
	if facts.deleted.IsZero() {
		b = append(b, `\N`...)
	} else {
		b = appendTime(b, facts.deleted)
	}
	return append(b, '\n')
}

// pausedTriggers lists the triggers disabled for the load.
type pausedTriggers []pausedTrigger

type pausedTrigger struct{ table, name string }

const enabledTriggersQuery = `
SELECT format('%I.%I', n.nspname, c.relname), t.tgname
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE t.tgrelid = ANY($1::regclass[]) AND NOT t.tgisinternal AND t.tgenabled = 'O'
  AND starts_with(t.tgname, $2)
ORDER BY 1, 2`

// pauseCustomerStatsTriggers disables the enabled triggers that maintain customer_stats.
func pauseCustomerStatsTriggers(ctx context.Context, tx pgx.Tx) (pausedTriggers, error) {
	rows, err := tx.Query(ctx, enabledTriggersQuery, DataTables, customerStatsTriggerPrefix)
	if err != nil {
		return nil, fmt.Errorf("read triggers of %s: %w", TableCustomerStats, err)
	}
	paused, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pausedTrigger, error) {
		var t pausedTrigger
		return t, row.Scan(&t.table, &t.name)
	})
	if err != nil {
		return nil, fmt.Errorf("read triggers of %s: %w", TableCustomerStats, err)
	}
	for _, t := range paused {
		sql := fmt.Sprintf("ALTER TABLE %s DISABLE TRIGGER %s", t.table, pgx.Identifier{t.name}.Sanitize())
		if _, err := tx.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("disable trigger %s for the load: %w", t.name, err)
		}
	}
	return paused, nil
}

// resume enables the paused triggers again.
func (p pausedTriggers) resume(ctx context.Context, tx pgx.Tx) error {
	for _, t := range p {
		sql := fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s", t.table, pgx.Identifier{t.name}.Sanitize())
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("enable trigger %s after the load: %w", t.name, err)
		}
	}
	return nil
}
