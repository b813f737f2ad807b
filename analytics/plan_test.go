package analytics

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/ent/authtoken"
	"github.com/forgedb/forge/ent/order"
	"github.com/forgedb/forge/ent/orderitem"
	_ "github.com/forgedb/forge/ent/runtime"
	"github.com/forgedb/forge/ent/user"
	"github.com/forgedb/forge/internal/pgtest"
)

// planData fills a database large enough for the planner to prefer indexes: 20,000 users of
// whom 1 in 50 is soft-deleted, 60,000 orders spread unevenly, 1 to 5 items each, and 10,000
// tokens of which half have expired. It takes a few seconds.
const planData = `
INSERT INTO products (name, price)
SELECT 'Product ' || g, round((1 + random() * 200)::numeric, 2) FROM generate_series(1, 500) g;

INSERT INTO users (name, email, password_hash, created_at, deleted_at)
SELECT 'User ' || g, 'user' || g || '@example.com', 'x',
       timestamptz '2023-01-01Z' + g * interval '30 minutes',
       CASE WHEN g % 50 = 0 THEN timestamptz '2025-01-01Z' END
FROM generate_series(1, 20000) g;

INSERT INTO orders (user_id, created_at)
SELECT 1 + floor(power(random(), 3) * 20000)::bigint,
       timestamptz '2024-01-01Z' + random() * interval '365 days'
FROM generate_series(1, 60000);

INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT o.id, p.id, 1 + (o.id + k) % 4, p.price
FROM orders o
CROSS JOIN LATERAL generate_series(1, 1 + o.id % 5) AS k
JOIN products p ON p.id = 1 + (o.id * 7 + k * 13) % 500;

INSERT INTO auth_tokens (user_id, token_hash, expires_at)
SELECT 1 + (g * 7) % 20000, decode(md5(g::text), 'hex'),
       timestamptz '2025-06-01Z' + (g - 5000) * interval '1 hour'
FROM generate_series(1, 10000) g;
`

// planNode is the part of an EXPLAIN (FORMAT JSON) node the plan tests read.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	Relation  string     `json:"Relation Name"`
	IndexName string     `json:"Index Name"`
	Plans     []planNode `json:"Plans"`
}

func (n planNode) walk(visit func(planNode)) {
	visit(n)
	for _, child := range n.Plans {
		child.walk(visit)
	}
}

// bigTables are the tables a tuned query must never read with a sequential scan.
var bigTables = []string{"users", "orders", "order_items", "auth_tokens", "customer_stats"}

// explain returns the plan of query with args.
func explain(t *testing.T, db *pgtest.DB, query string, args ...any) planNode {
	t.Helper()
	var raw []byte
	err := db.Pool.QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+query, args...).Scan(&raw)
	require.NoError(t, err, query)
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal(raw, &plans))
	require.Len(t, plans, 1)
	return plans[0].Plan
}

// requirePlan checks that plan reads index and reads none of bigTables, apart from allowed,
// sequentially.
func requirePlan(t *testing.T, plan planNode, index string, allowed ...string) {
	t.Helper()
	var indexes []string
	plan.walk(func(n planNode) {
		if n.IndexName != "" {
			indexes = append(indexes, n.IndexName)
		}
		if n.NodeType == "Seq Scan" && slices.Contains(bigTables, n.Relation) && !slices.Contains(allowed, n.Relation) {
			require.Failf(t, "sequential scan", "the plan reads %s sequentially", n.Relation)
		}
	})
	if index != "" {
		require.Contains(t, indexes, index, "the plan no longer uses %s", index)
	}
}

func newPlanDB(t *testing.T) *pgtest.DB {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, planData)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, "VACUUM ANALYZE")
	require.NoError(t, err)
	return db
}

func TestPlansOfReports(t *testing.T) {
	t.Parallel()
	db := newPlanDB(t)
	mid := Cursor{LifetimeValue: decimal.RequireFromString("500.00"), UserID: 10_000}

	customerCases := map[string]CustomerParams{
		"first page":        {},
		"keyset page":       {After: &mid},
		"tier page":         {Tier: TierRegular},
		"signed up since":   {Since: time.Date(2023, time.June, 1, 0, 0, 0, 0, time.UTC)},
		"offset page":       {Offset: 100},
		"large keyset page": {After: &mid, Limit: 1000},
	}
	for name, p := range customerCases {
		t.Run("customers "+name, func(t *testing.T) {
			args, filters, _, err := customerArgs(p)
			require.NoError(t, err)
			plan := explain(t, db, renderSQL("customers.sql", filters), args)
			requirePlan(t, plan, "customer_stats_active_value_idx")
			requirePlan(t, plan, "users_pkey")
		})
	}

	// The tier summary adds up every active customer, so it reads each summary row once,
	// by a sequential or index-only scan of customer_stats, and never the other tables.
	t.Run("tier summary", func(t *testing.T) {
		thresholds := DefaultThresholds()
		args := pgx.NamedArgs{"vip": thresholds.VIP, "regular": thresholds.Regular}
		plan := explain(t, db, renderSQL("tiers.sql", customerFilters{}), args)
		requirePlan(t, plan, "", "customer_stats")
		var relations []string
		plan.walk(func(n planNode) {
			if n.Relation != "" {
				relations = append(relations, n.Relation)
			}
		})
		require.Equal(t, []string{"customer_stats"}, relations)
	})
}

// recordingDriver records every query the ent client sends, so the test can EXPLAIN
// exactly the SQL an application runs.
type recordingDriver struct {
	*entsql.Driver
	queries []recordedQuery
}

type recordedQuery struct {
	sql  string
	args []any
}

func (d *recordingDriver) Query(ctx context.Context, query string, args, v any) error {
	list, _ := args.([]any)
	d.queries = append(d.queries, recordedQuery{sql: query, args: list})
	return d.Driver.Query(ctx, query, args, v)
}

func TestPlansOfEntLookups(t *testing.T) {
	t.Parallel()
	db := newPlanDB(t)
	ctx := context.Background()
	sqlDB, err := sql.Open("pgx", db.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sqlDB.Close() })
	driver := &recordingDriver{Driver: entsql.OpenDB(dialect.Postgres, sqlDB)}
	client := ent.NewClient(ent.Driver(driver))
	hash := mustHash(t, db, 1234)
	now := time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC)

	cases := []struct {
		name  string
		run   func() error
		index string
	}{
		{"user's orders newest first", func() error {
			_, err := client.Order.Query().
				Where(order.UserID(42)).
				Order(order.ByCreatedAt(entsql.OrderDesc()), order.ByID(entsql.OrderDesc())).
				Limit(20).
				All(ctx)
			return err
		}, "orders_user_id_created_at_idx"},
		{"order's items", func() error {
			_, err := client.OrderItem.Query().Where(orderitem.OrderID(4242)).Order(orderitem.ByID()).All(ctx)
			return err
		}, "order_items_order_id_idx"},
		{"token by hash", func() error {
			_, err := client.AuthToken.Query().Where(authtoken.TokenHash(hash)).Only(ctx)
			return err
		}, "auth_tokens_token_hash_key"},
		{"user by unexpired token", func() error {
			_, err := client.User.Query().
				Where(user.HasAuthTokensWith(authtoken.TokenHash(hash), authtoken.ExpiresAtGT(now))).
				All(ctx)
			return err
		}, "auth_tokens_token_hash_key"},
		{"expired tokens", func() error {
			_, err := client.AuthToken.Query().
				Where(authtoken.ExpiresAtLT(now)).
				Order(authtoken.ByExpiresAt()).
				Limit(1000).
				IDs(ctx)
			return err
		}, "auth_tokens_expires_at_idx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			driver.queries = nil
			require.NoError(t, c.run())
			require.NotEmpty(t, driver.queries, "the ent client sent no query")
			for _, q := range driver.queries {
				requirePlan(t, explain(t, db, q.sql, q.args...), c.index)
			}
		})
	}
}

func mustHash(t *testing.T, db *pgtest.DB, n int) []byte {
	t.Helper()
	var hash []byte
	err := db.Pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT decode(md5('%d'), 'hex')`, n)).Scan(&hash)
	require.NoError(t, err)
	return hash
}
