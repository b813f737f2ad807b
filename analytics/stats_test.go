package analytics_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
)

// requireStatsCurrent checks that customer_stats equals the aggregate of orders and
// order_items computed from scratch, for every user.
func requireStatsCurrent(t *testing.T, db *pgtest.DB, step string) {
	t.Helper()
	const diff = `
		WITH expected AS (
			SELECT u.id AS user_id,
			       (SELECT count(*) FROM orders o WHERE o.user_id = u.id) AS total_orders,
			       (SELECT coalesce(sum(i.quantity * i.unit_price), 0)
			        FROM orders o JOIN order_items i ON i.order_id = o.id
			        WHERE o.user_id = u.id) AS lifetime_value,
			       (SELECT max(o.created_at) FROM orders o WHERE o.user_id = u.id) AS last_order_at,
			       u.created_at AS signed_up_at,
			       u.deleted_at
			FROM users u
		), actual AS (
			SELECT user_id, total_orders, lifetime_value, last_order_at, signed_up_at, deleted_at
			FROM customer_stats
		)
		SELECT (SELECT count(*) FROM (TABLE expected EXCEPT TABLE actual) AS e),
		       (SELECT count(*) FROM (TABLE actual EXCEPT TABLE expected) AS a)`
	var missing, extra int
	require.NoError(t, db.Pool.QueryRow(context.Background(), diff).Scan(&missing, &extra))
	require.Zero(t, missing, "after %s: rows of the aggregate missing from customer_stats", step)
	require.Zero(t, extra, "after %s: rows of customer_stats not in the aggregate", step)
}

func TestCustomerStatsFollowWrites(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	f := newFixture(t, db.Pool)
	exec := func(step, sql string, args ...any) {
		t.Helper()
		_, err := db.Pool.Exec(ctx, sql, args...)
		require.NoError(t, err, step)
		requireStatsCurrent(t, db, step)
	}

	a := f.user("A", day(2024, time.January, 1))
	b := f.user("B", day(2024, time.January, 2))
	c := f.user("C", day(2024, time.January, 3))
	requireStatsCurrent(t, db, "inserting users")

	first := f.order(a, day(2024, time.February, 1), item{2, "10.50"}, item{1, "10.50"})
	f.order(b, day(2024, time.February, 2), item{1, "99.99"})
	requireStatsCurrent(t, db, "inserting orders one by one")

	exec("inserting orders for several users in one statement", `
		INSERT INTO orders (user_id, created_at)
		VALUES ($1, '2024-03-01Z'), ($2, '2024-03-02Z'), ($1, '2024-03-03Z')`, a, c)
	exec("inserting items into several orders in one statement", `
		INSERT INTO order_items (order_id, product_id, quantity, unit_price)
		SELECT o.id, $1, 2, 5.25 FROM orders o`, f.productID)
	exec("updating a quantity", `UPDATE order_items SET quantity = 7 WHERE order_id = $1`, first)
	exec("updating a unit price", `UPDATE order_items SET unit_price = 0 WHERE order_id = $1`, first)
	exec("deleting one item", `
		DELETE FROM order_items WHERE id = (SELECT min(id) FROM order_items WHERE order_id = $1)`, first)
	exec("soft-deleting a user", `UPDATE users SET deleted_at = now() WHERE id = $1`, b)
	exec("restoring a user", `UPDATE users SET deleted_at = NULL WHERE id = $1`, b)
	exec("changing a signup time", `UPDATE users SET created_at = '2023-06-01Z' WHERE id = $1`, a)
	exec("updating a user's name", `UPDATE users SET name = 'Renamed' WHERE id = $1`, a)
	exec("moving an order to another user", `UPDATE orders SET user_id = $1 WHERE id = $2`, b, first)
	exec("moving an order in time", `UPDATE orders SET created_at = '2025-01-01Z' WHERE id = $1`, first)
	exec("deleting an order with its items", `DELETE FROM orders WHERE id = $1`, first)
	exec("deleting every order of a user", `DELETE FROM orders WHERE user_id = $1`, c)
	exec("deleting a user without orders", `DELETE FROM users WHERE id = $1`, c)

	_, err := db.Pool.CopyFrom(ctx, pgx.Identifier{"orders"}, []string{"user_id", "created_at"},
		pgx.CopyFromRows([][]any{{a, day(2024, time.May, 1)}, {b, day(2024, time.May, 2)}}))
	require.NoError(t, err)
	requireStatsCurrent(t, db, "copying orders")

	exec("truncating order items", `TRUNCATE order_items`)
	exec("truncating orders and items", `TRUNCATE orders, order_items`)
	exec("truncating every data table", `TRUNCATE users, orders, order_items, auth_tokens`)
}

func TestCustomerStatsConcurrentOrders(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	f := newFixture(t, db.Pool)
	a := f.user("A", day(2024, time.January, 1))
	b := f.user("B", day(2024, time.January, 2))

	// Each transaction orders for both users, in opposite orders, so row locks on
	// customer_stats taken in statement order could deadlock.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			first, second := a, b
			if i%2 == 1 {
				first, second = b, a
			}
			errs <- placeTwoOrders(db, f.productID, first, second)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	requireStatsCurrent(t, db, "concurrent orders")
}

func placeTwoOrders(db *pgtest.DB, productID, first, second int64) error {
	ctx := context.Background()
	return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			WITH o AS (
				INSERT INTO orders (user_id) VALUES ($1), ($2) RETURNING id
			)
			INSERT INTO order_items (order_id, product_id, quantity, unit_price)
			SELECT id, $3, 1, 12.34 FROM o`, first, second, productID)
		return err
	})
}
