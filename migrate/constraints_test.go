package migrate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
)

// SQLSTATE codes PostgreSQL raises for each kind of violation.
const (
	uniqueViolation     = "23505"
	checkViolation      = "23514"
	foreignKeyViolation = "23503"
)

func requireSQLState(t *testing.T, err error, code, constraint string) {
	t.Helper()
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "expected a PostgreSQL error, got %v", err)
	require.Equal(t, code, pgErr.Code, pgErr.Message)
	require.Equal(t, constraint, pgErr.ConstraintName, pgErr.Message)
}

func execSQL(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) error {
	t.Helper()
	_, err := pool.Exec(context.Background(), sql, args...)
	return err
}

func insertUser(t *testing.T, pool *pgxpool.Pool, email string) int64 {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(),
		`INSERT INTO users (name, email, password_hash) VALUES ('Ada', $1, 'x') RETURNING id`, email).Scan(&id)
	require.NoError(t, err)
	return id
}

func TestEmailUniqueIgnoringCase(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	insertUser(t, db.Pool, "ada@example.com")

	err := execSQL(t, db.Pool, `INSERT INTO users (name, email, password_hash) VALUES ('Ada', 'ada@example.com', 'x')`)
	requireSQLState(t, err, uniqueViolation, "users_email_active_key")

	err = execSQL(t, db.Pool, `INSERT INTO users (name, email, password_hash) VALUES ('Ada', 'Ada@Example.com', 'x')`)
	requireSQLState(t, err, checkViolation, "users_email_normalized")
}

func TestEmailReusableAfterSoftDelete(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	id := insertUser(t, db.Pool, "ada@example.com")
	require.NoError(t, execSQL(t, db.Pool, `UPDATE users SET deleted_at = now() WHERE id = $1`, id))

	insertUser(t, db.Pool, "ada@example.com")
}

func TestNegativePriceRejected(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	err := execSQL(t, db.Pool, `INSERT INTO products (name, price) VALUES ('Mug', -0.01)`)
	requireSQLState(t, err, checkViolation, "products_price_check")
}

func TestOrderItemChecks(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	userID := insertUser(t, db.Pool, "ada@example.com")
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO products (id, name, price) VALUES (1, 'Mug', 9.50)`))
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO orders (id, user_id) VALUES (1, $1)`, userID))

	err := execSQL(t, db.Pool, `INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, 0, 9.50)`)
	requireSQLState(t, err, checkViolation, "order_items_quantity_check")

	err = execSQL(t, db.Pool, `INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, 1, -1)`)
	requireSQLState(t, err, checkViolation, "order_items_unit_price_check")

	err = execSQL(t, db.Pool, `INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 99, 1, 1)`)
	requireSQLState(t, err, foreignKeyViolation, "order_items_products_order_items")
}

func TestOrderForMissingUserRejected(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	err := execSQL(t, db.Pool, `INSERT INTO orders (user_id) VALUES (12345)`)
	requireSQLState(t, err, foreignKeyViolation, "orders_users_orders")
}

func TestDeletingOrderRemovesItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	userID := insertUser(t, db.Pool, "ada@example.com")
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO products (id, name, price) VALUES (1, 'Mug', 9.50)`))
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO orders (id, user_id) VALUES (1, $1)`, userID))
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO order_items (order_id, product_id, quantity, unit_price)
		VALUES (1, 1, 2, 9.50), (1, 1, 1, 9.50)`))

	require.NoError(t, execSQL(t, db.Pool, `DELETE FROM orders WHERE id = 1`))

	var items int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM order_items`).Scan(&items))
	require.Zero(t, items)
}

func TestDeletingOrderedProductRejected(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	userID := insertUser(t, db.Pool, "ada@example.com")
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO products (id, name, price) VALUES (1, 'Mug', 9.50)`))
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO orders (id, user_id) VALUES (1, $1)`, userID))
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, 1, 9.50)`))

	err := execSQL(t, db.Pool, `DELETE FROM products WHERE id = 1`)
	requireSQLState(t, err, foreignKeyViolation, "order_items_products_order_items")
}

func TestDeletingUserRemovesTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	userID := insertUser(t, db.Pool, "ada@example.com")
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO auth_tokens (user_id, token_hash, expires_at)
		VALUES ($1, '\x01', now() + interval '1 day')`, userID))

	require.NoError(t, execSQL(t, db.Pool, `DELETE FROM users WHERE id = $1`, userID))

	var tokens int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM auth_tokens`).Scan(&tokens))
	require.Zero(t, tokens)
}

func TestDeletingUserWithOrdersRejected(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	userID := insertUser(t, db.Pool, "ada@example.com")
	require.NoError(t, execSQL(t, db.Pool, `INSERT INTO orders (user_id) VALUES ($1)`, userID))

	err := execSQL(t, db.Pool, `DELETE FROM users WHERE id = $1`, userID)
	requireSQLState(t, err, foreignKeyViolation, "orders_users_orders")
}

func TestTokenHashUnique(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	userID := insertUser(t, db.Pool, "ada@example.com")
	insert := `INSERT INTO auth_tokens (user_id, token_hash, expires_at) VALUES ($1, '\x01', now())`
	require.NoError(t, execSQL(t, db.Pool, insert, userID))

	err := execSQL(t, db.Pool, insert, userID)
	requireSQLState(t, err, uniqueViolation, "auth_tokens_token_hash_key")
}
