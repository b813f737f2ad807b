package seed

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/ent"
	// The ent client's defaults and hooks are registered by this package's init.
	_ "github.com/forgedb/forge/ent/runtime"
)

// TestSeededData checks the integrity and the shape of one seeded data set. Tolerances are
// wide enough for 2,000 users and tight enough to catch a broken distribution.
func TestSeededData(t *testing.T) {
	t.Parallel()
	db, report := seeded(t, testConfig())
	pool := db.Pool

	zero := func(t *testing.T, sql string, args ...any) {
		t.Helper()
		require.Zero(t, queryInt64(t, pool, sql, args...), sql)
	}

	t.Run("foreign keys valid", func(t *testing.T) {
		zero(t, `SELECT count(*) FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL`)
		zero(t, `SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL`)
		zero(t, `SELECT count(*) FROM order_items i LEFT JOIN products p ON p.id = i.product_id WHERE p.id IS NULL`)
		zero(t, `SELECT count(*) FROM auth_tokens a LEFT JOIN users u ON u.id = a.user_id WHERE u.id IS NULL`)
		zero(t, `SELECT count(*) FROM pg_constraint WHERE conrelid = ANY($1::regclass[]) AND NOT convalidated`, DataTables)
	})
	t.Run("emails unique and lower case", func(t *testing.T) {
		zero(t, `SELECT count(*) - count(DISTINCT lower(email)) FROM users`)
		zero(t, `SELECT count(*) FROM users WHERE email <> lower(email)`)
		zero(t, `SELECT count(*) FROM users WHERE email NOT LIKE '%_@example.___'`)
	})
	t.Run("ids dense from one", func(t *testing.T) {
		for _, table := range DataTables {
			require.Equal(t, queryInt64(t, pool, "SELECT count(*) FROM "+table),
				queryInt64(t, pool, "SELECT coalesce(max(id), 0) FROM "+table), table)
		}
	})
	t.Run("orders after signup", func(t *testing.T) {
		zero(t, `SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE o.created_at < u.created_at`)
		zero(t, `SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE o.created_at > u.deleted_at`)
		zero(t, `SELECT count(*) FROM orders WHERE created_at > $1`, ReferenceTime)
	})
	t.Run("times before reference", func(t *testing.T) {
		zero(t, `SELECT count(*) FROM users WHERE created_at > $1 OR updated_at > $1 OR deleted_at > $1`, ReferenceTime)
		zero(t, `SELECT count(*) FROM users WHERE updated_at < created_at OR deleted_at < created_at`)
		zero(t, `SELECT count(*) FROM auth_tokens WHERE created_at > $1`, ReferenceTime)
	})
	t.Run("unit prices equal product prices", func(t *testing.T) {
		zero(t, `SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.unit_price <> p.price`)
	})
	t.Run("prices end in shop cents", func(t *testing.T) {
		zero(t, `SELECT count(*) FROM products WHERE (price * 100)::bigint % 100 NOT IN (0, 49, 50, 89, 95, 99)`)
		zero(t, `SELECT count(*) FROM products WHERE price < 2 OR price >= 501`)
	})
	t.Run("items per order", func(t *testing.T) {
		const perOrder = `SELECT count(*) AS n FROM order_items GROUP BY order_id`
		require.Equal(t, int64(1), queryInt64(t, pool, "SELECT min(n) FROM ("+perOrder+") c"))
		require.Equal(t, int64(5), queryInt64(t, pool, "SELECT max(n) FROM ("+perOrder+") c"))
		require.InDelta(t, 3.0, queryFloat64(t, pool, "SELECT avg(n) FROM ("+perOrder+") c"), 0.1)
		zero(t, `SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)`)
		require.InDelta(t, 0.7, queryFloat64(t, pool, `SELECT avg((quantity = 1)::int) FROM order_items`), 0.03)
	})
	t.Run("orders skewed over users", func(t *testing.T) {
		withoutOrders := queryFloat64(t, pool,
			`SELECT avg((NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id))::int) FROM users u`)
		require.InDelta(t, 0.37, withoutOrders, 0.06, "share of users without orders")

		topShare := queryFloat64(t, pool, `
			SELECT sum(n)::float8 / (SELECT count(*) FROM orders)
			FROM (SELECT count(*) AS n FROM orders GROUP BY user_id ORDER BY n DESC
			      LIMIT (SELECT count(*) / 100 FROM users)) top`)
		require.InDelta(t, 0.15, topShare, 0.05, "share of orders placed by the top 1% of users")
	})
	t.Run("orders follow the season", func(t *testing.T) {
		november := queryFloat64(t, pool, `SELECT count(*) FROM orders WHERE extract(month FROM created_at) = 11`)
		february := queryFloat64(t, pool, `SELECT count(*) FROM orders WHERE extract(month FROM created_at) = 2`)
		require.Greater(t, november/30, 1.2*february/28, "orders per day, November against February")
	})
	t.Run("orders follow the week", func(t *testing.T) {
		sunday := queryFloat64(t, pool, `SELECT count(*) FROM orders WHERE extract(dow FROM created_at) = 0`)
		tuesday := queryFloat64(t, pool, `SELECT count(*) FROM orders WHERE extract(dow FROM created_at) = 2`)
		require.Greater(t, sunday, 1.15*tuesday, "orders on Sundays against Tuesdays")
	})
	t.Run("soft-deleted users", func(t *testing.T) {
		share := queryFloat64(t, pool, `SELECT avg((deleted_at IS NOT NULL)::int) FROM users`)
		require.InDelta(t, deletedShare, share, 0.01)
		zero(t, `SELECT count(*) FROM auth_tokens a JOIN users u ON u.id = a.user_id WHERE u.deleted_at IS NOT NULL`)
	})
	t.Run("tokens expired and active", func(t *testing.T) {
		expired := queryFloat64(t, pool, `SELECT avg((expires_at < $1)::int) FROM auth_tokens`, ReferenceTime)
		require.InDelta(t, 0.5, expired, 0.1)
		zero(t, `SELECT count(*) - count(DISTINCT token_hash) FROM auth_tokens`)
		zero(t, `SELECT count(*) FROM auth_tokens WHERE expires_at <> created_at + interval '30 days'`)
	})
	t.Run("password hash shared", func(t *testing.T) {
		require.Equal(t, int64(1), queryInt64(t, pool, `SELECT count(DISTINCT password_hash) FROM users`))
		zero(t, `SELECT count(*) FROM users WHERE password_hash <> '`+DemoPasswordHash+`'`)
	})
	t.Run("customer stats equal rebuild", func(t *testing.T) {
		ctx := context.Background()
		generated := tableDigests(t, pool)[TableCustomerStats]
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx)
		_, err = tx.Exec(ctx, "SELECT customer_stats_rebuild()")
		require.NoError(t, err)
		var rebuilt string
		err = tx.QueryRow(ctx, "SELECT md5(string_agg(t::text, E'\\n' ORDER BY user_id)) FROM customer_stats t").
			Scan(&rebuilt)
		require.NoError(t, err)
		require.Equal(t, rebuilt, generated)
	})
	t.Run("customer stats match orders", func(t *testing.T) {
		zero(t, `SELECT count(*) FROM users u LEFT JOIN customer_stats s ON s.user_id = u.id WHERE s.user_id IS NULL`)
		zero(t, `SELECT count(*) - (SELECT count(*) FROM users) FROM customer_stats`)
		zero(t, `
			SELECT count(*)
			FROM customer_stats s
			LEFT JOIN (SELECT o.user_id, count(DISTINCT o.id) AS orders, sum(i.quantity * i.unit_price) AS value
			           FROM orders o JOIN order_items i ON i.order_id = o.id
			           GROUP BY o.user_id) a ON a.user_id = s.user_id
			WHERE s.total_orders <> coalesce(a.orders, 0) OR s.lifetime_value <> coalesce(a.value, 0)`)
	})
	t.Run("statistics analyzed", func(t *testing.T) {
		zero(t, `SELECT count(*) FROM pg_stat_user_tables WHERE relid = ANY($1::regclass[]) AND last_analyze IS NULL`, DataTables)
	})
	t.Run("ent insert after seed", func(t *testing.T) {
		ctx := context.Background()
		client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, stdlib.OpenDBFromPool(pool))))
		t.Cleanup(func() { client.Close() })

		u, err := client.User.Create().SetName("After Seed").SetEmail("after.seed@example.com").
			SetPasswordHash(DemoPasswordHash).Save(ctx)
		require.NoError(t, err)
		require.Equal(t, report.Counts.Users+1, u.ID)

		p, err := client.Product.Create().SetName("After Seed").SetPrice(decimal.RequireFromString("9.99")).Save(ctx)
		require.NoError(t, err)
		require.Equal(t, report.Counts.Products+1, p.ID)

		o, err := client.Order.Create().SetUserID(u.ID).Save(ctx)
		require.NoError(t, err)
		require.Equal(t, report.Counts.Orders+1, o.ID)

		item, err := client.OrderItem.Create().SetOrderID(o.ID).SetProductID(p.ID).SetQuantity(1).
			SetUnitPrice(p.Price).Save(ctx)
		require.NoError(t, err)
		require.Equal(t, report.Counts.OrderItems+1, item.ID)

		token, err := client.AuthToken.Create().SetUserID(u.ID).SetTokenHash([]byte("after seed")).
			SetExpiresAt(ReferenceTime).Save(ctx)
		require.NoError(t, err)
		require.Equal(t, report.Counts.Tokens+1, token.ID)
	})
}
