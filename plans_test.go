package forge

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/seed"
)

// TestHotPathPlansUseIndexes runs EXPLAIN on the pgx queries behind VerifyToken and
// RecentOrders over seeded data, large enough for the planner to prefer indexes, and fails when
// a plan stops using the index the query is written for or scans a table sequentially.
func TestHotPathPlansUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	_, err := seed.Run(ctx, db.Pool, seed.Config{Seed: seed.DefaultSeed, Users: 20_000, Workers: 2})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, "VACUUM ANALYZE")
	require.NoError(t, err)
	hash := make([]byte, 32)

	cases := []struct {
		name    string
		query   string
		args    []any
		indexes []string
	}{
		{"verify token", verifyTokenSQL, []any{hash}, []string{"auth_tokens_token_hash_key", "users_pkey"}},
		{"recent orders", recentOrdersSQL, []any{int64(42), 10},
			[]string{"orders_user_id_created_at_idx", "order_items_order_id_idx"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var plan string
			err := db.Pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+c.query, c.args...).Scan(&plan)
			require.NoError(t, err)

			require.NotContains(t, plan, `"Seq Scan"`, "plan: %s", plan)
			for _, index := range c.indexes {
				require.Contains(t, plan, `"Index Name": "`+index+`"`, "plan: %s", plan)
			}
		})
	}
}

// TestActiveUsersPlanUsesPartialIndex checks the query for the newest active users as the ent
// client sends it, its soft-delete interceptor adding deleted_at IS NULL. Once half of the users
// are soft-deleted, the plan must read users_active_created_at_idx, whose rows are exactly the
// active users in the wanted order.
func TestActiveUsersPlanUsesPartialIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	_, err := seed.Run(ctx, db.Pool, seed.Config{Seed: seed.DefaultSeed, Users: 20_000, Workers: 2})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `UPDATE users SET deleted_at = created_at + interval '1 day' WHERE id % 2 = 0`)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, "VACUUM ANALYZE users")
	require.NoError(t, err)

	var plan string
	err = db.Pool.QueryRow(ctx, `EXPLAIN (FORMAT JSON) SELECT * FROM users
		WHERE deleted_at IS NULL AND created_at >= $1 ORDER BY created_at DESC, id DESC LIMIT 20`,
		seed.ReferenceTime.AddDate(0, -1, 0)).Scan(&plan)
	require.NoError(t, err)

	require.NotContains(t, plan, `"Seq Scan"`, "plan: %s", plan)
	require.Contains(t, plan, `"Index Name": "users_active_created_at_idx"`, "plan: %s", plan)
}
