package seed

import (
	"crypto/sha256"
)

// Table names in load order: every table comes after the tables its foreign keys reference.
const (
	TableUsers      = "users"
	TableProducts   = "products"
	TableOrders     = "orders"
	TableOrderItems = "order_items"
	TableAuthTokens = "auth_tokens"
)

// DataTables lists the tables the seeder fills, in load order.
var DataTables = []string{TableUsers, TableProducts, TableOrders, TableOrderItems, TableAuthTokens}

// chunkRows is the number of ids per chunk. It fixes the chunk boundaries, and so the data
// checksum, independently of the worker count; changing it changes no row but does change
// the checksum.
const chunkRows = 8192

// tablePlan is one table's COPY: its columns in the order the appenders write them, and its
// chunks.
type tablePlan struct {
	name    string
	columns string
	rows    int64
	chunks  []*chunk
}

// chunk is a range of ids of one table, [from, to). For order_items the range is of order
// ids and firstItem is the id of the first item of order "from".
type chunk struct {
	table     *tablePlan
	from, to  int64
	firstItem int64

	done chan struct{} // closed when buf, rows and sum are set
	buf  []byte
	rows int64
	sum  [sha256.Size]byte
}

// newPlan splits every table into chunks. It computes the item count of every order once,
// a cheap hash per order, to number the items of each chunk.
func newPlan(w *world) []*tablePlan {
	c := w.counts
	plans := []*tablePlan{
		{name: TableUsers, columns: "id, name, email, password_hash, created_at, updated_at, deleted_at", rows: c.Users},
		{name: TableProducts, columns: "id, name, price", rows: c.Products},
		{name: TableOrders, columns: "id, user_id, created_at", rows: c.Orders},
		{name: TableOrderItems, columns: "id, order_id, product_id, quantity, unit_price"},
		{name: TableAuthTokens, columns: "id, user_id, token_hash, created_at, expires_at", rows: c.Tokens},
	}
	for _, p := range plans {
		ids := p.rows
		if p.name == TableOrderItems {
			ids = c.Orders
		}
		for from := int64(1); from <= ids; from += chunkRows {
			p.chunks = append(p.chunks, &chunk{table: p, from: from, to: min(from+chunkRows, ids+1)})
		}
	}

	items := plans[3]
	next := int64(1)
	for _, ch := range items.chunks {
		ch.firstItem = next
		for id := ch.from; id < ch.to; id++ {
			next += w.itemCount(id)
		}
	}
	items.rows = next - 1

	if w.totals != nil {
		stats := &tablePlan{
			name:    TableCustomerStats,
			columns: "user_id, total_orders, lifetime_value, last_order_at, signed_up_at, deleted_at",
			rows:    c.Users,
		}
		for from := int64(1); from <= c.Users; from += chunkRows {
			stats.chunks = append(stats.chunks, &chunk{table: stats, from: from, to: min(from+chunkRows, c.Users+1)})
		}
		plans = append(plans, stats)
	}
	return plans
}

// generate fills the chunk's buffer with its rows in COPY text format and hashes them.
func (w *world) generate(r *rowRand, ch *chunk, buf []byte) {
	buf = buf[:0]
	var rows int64
	switch ch.table.name {
	case TableUsers:
		for id := ch.from; id < ch.to; id++ {
			u := w.user(r, id)
			buf = appendUser(buf, &u)
		}
		rows = ch.to - ch.from
	case TableProducts:
		for id := ch.from; id < ch.to; id++ {
			p := w.product(r, id)
			buf = appendProduct(buf, &p)
		}
		rows = ch.to - ch.from
	case TableOrders:
		var items []itemRow
		for id := ch.from; id < ch.to; id++ {
			o := w.order(r, id)
			buf = appendOrder(buf, &o)
			if w.totals != nil {
				var cents int64
				items, cents = w.orderValueCents(r, id, items)
				w.totals.addOrder(o.userID, cents, o.created.Unix())
			}
		}
		rows = ch.to - ch.from
		if w.totals != nil {
			w.totals.orderChunkDone()
		}
	case TableOrderItems:
		var items []itemRow
		next := ch.firstItem
		for id := ch.from; id < ch.to; id++ {
			items = w.items(r, id, next, items[:0])
			for i := range items {
				buf = appendItem(buf, &items[i])
			}
			next += int64(len(items))
		}
		rows = next - ch.firstItem
	case TableAuthTokens:
		for id := ch.from; id < ch.to; id++ {
			t := w.token(r, id)
			buf = appendToken(buf, &t)
		}
		rows = ch.to - ch.from
	case TableCustomerStats:
		// The caller waits for w.totals.ordersDone before generating these chunks.
		for id := ch.from; id < ch.to; id++ {
			buf = w.appendCustomerStats(buf, id)
		}
		rows = ch.to - ch.from
	}
	ch.buf, ch.rows, ch.sum = buf, rows, sha256.Sum256(buf)
}
