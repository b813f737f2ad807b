package analytics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/analytics"
)

// item is one order line of a fixture: quantity times unit price.
type item struct {
	quantity  int
	unitPrice string
}

// fixture inserts rows with plain SQL, so the tests depend on the schema and not on ent.
type fixture struct {
	t         *testing.T
	db        analytics.Querier
	productID int64
	users     int
}

func newFixture(t *testing.T, db analytics.Querier) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db}
	err := db.QueryRow(context.Background(),
		`INSERT INTO products (name, price) VALUES ('Widget', 10.00) RETURNING id`).Scan(&f.productID)
	require.NoError(t, err)
	return f
}

// user inserts an active user who signed up at signedUp.
func (f *fixture) user(name string, signedUp time.Time) int64 {
	f.t.Helper()
	f.users++
	var id int64
	err := f.db.QueryRow(context.Background(),
		`INSERT INTO users (name, email, password_hash, created_at) VALUES ($1, $2, 'x', $3) RETURNING id`,
		name, fmt.Sprintf("user%d@example.com", f.users), signedUp).Scan(&id)
	require.NoError(f.t, err)
	return id
}

func (f *fixture) softDelete(userID int64) {
	f.t.Helper()
	_, err := f.db.Exec(context.Background(), `UPDATE users SET deleted_at = now() WHERE id = $1`, userID)
	require.NoError(f.t, err)
}

// order inserts an order placed at placed with its items, all items in one statement.
func (f *fixture) order(userID int64, placed time.Time, items ...item) int64 {
	f.t.Helper()
	return insertOrder(f.t, f.db, f.productID, userID, placed, items...)
}

func insertOrder(t *testing.T, db analytics.Querier, productID, userID int64, placed time.Time, items ...item) int64 {
	t.Helper()
	ctx := context.Background()
	var orderID int64
	err := db.QueryRow(ctx, `INSERT INTO orders (user_id, created_at) VALUES ($1, $2) RETURNING id`,
		userID, placed).Scan(&orderID)
	require.NoError(t, err)
	if len(items) == 0 {
		return orderID
	}
	quantities := make([]int32, len(items))
	prices := make([]string, len(items))
	for i, it := range items {
		quantities[i] = int32(it.quantity)
		prices[i] = it.unitPrice
	}
	_, err = db.Exec(ctx, `
		INSERT INTO order_items (order_id, product_id, quantity, unit_price)
		SELECT $1, $2, q, p::numeric FROM unnest($3::int[], $4::text[]) AS t(q, p)`,
		orderID, productID, quantities, prices)
	require.NoError(t, err)
	return orderID
}

func day(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 12, 0, 0, 0, time.UTC)
}

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }
