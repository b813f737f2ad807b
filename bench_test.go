package forge_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/internal/pgtest"
)

// The benchmarks run each operation through Forge and through hand-written pgx on the same
// database, side by side in one run. The pgx versions do the same work with the same locks:
// they are what a careful programmer would write without ent.

// benchFixture is a user with benchOrders orders of three items each, and a live token.
type benchFixture struct {
	db       *forge.DB
	userID   int64
	products []int64
	token    string
	lines    []forge.OrderLine
}

const benchOrders = 20

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	ctx := context.Background()
	// Without waiting for the WAL flush at commit, PlaceOrder measures the client and the
	// server's work rather than the disk, whose latency varies widely on a shared machine.
	db, err := forge.Open(ctx, forge.Config{
		DatabaseURL: withParam(pgtest.New(b).URL, "synchronous_commit=off"),
		Passwords:   fastPasswords,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })

	f := &benchFixture{db: db, userID: createUser(b, db, "bench@example.com")}
	for _, price := range []string{"9.95", "0.10", "19.99"} {
		f.products = append(f.products, createProduct(b, db, "Product "+price, price))
	}
	f.lines = []forge.OrderLine{
		{ProductID: f.products[0], Quantity: 1},
		{ProductID: f.products[1], Quantity: 2},
		{ProductID: f.products[2], Quantity: 3},
	}

	for range benchOrders {
		if _, err := db.PlaceOrder(ctx, f.userID, f.lines); err != nil {
			b.Fatal(err)
		}
	}
	issued, err := db.IssueToken(ctx, f.userID, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	f.token = issued.Token
	return f
}

func BenchmarkPlaceOrder(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	b.Run("forge", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.db.PlaceOrder(ctx, f.userID, f.lines); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pgx", func(b *testing.B) {
		for b.Loop() {
			if _, err := placeOrderPgx(ctx, f.db.Pool, f.userID, f.lines); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRecentOrders(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	b.Run("forge", func(b *testing.B) {
		for b.Loop() {
			orders, err := f.db.RecentOrders(ctx, f.userID, 10)
			if err != nil || len(orders) != 10 || len(orders[9].Edges.Items) != 3 {
				b.Fatalf("got %d orders, err %v", len(orders), err)
			}
		}
	})
	b.Run("pgx", func(b *testing.B) {
		for b.Loop() {
			orders, err := recentOrdersPgx(ctx, f.db.Pool, f.userID, 10)
			if err != nil || len(orders) != 10 || len(orders[9].items) != 3 {
				b.Fatalf("got %d orders, err %v", len(orders), err)
			}
		}
	})
}

func BenchmarkVerifyToken(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	b.Run("forge", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.db.VerifyToken(ctx, f.token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pgx", func(b *testing.B) {
		for b.Loop() {
			if _, err := verifyTokenPgx(ctx, f.db.Pool, f.token); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func placeOrderPgx(ctx context.Context, pool *pgxpool.Pool, userID int64, lines []forge.OrderLine) (int64, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()

	var id int64
	err = tx.QueryRow(ctx, "SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL FOR SHARE", userID).Scan(&id)
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	rows, err := tx.Query(ctx, "SELECT id, price FROM products WHERE id = ANY($1) ORDER BY id FOR SHARE", ids)
	if err != nil {
		return 0, err
	}
	prices := map[int64]decimal.Decimal{}
	var pid int64
	var price decimal.Decimal
	_, err = pgx.ForEachRow(rows, []any{&pid, &price}, func() error {
		prices[pid] = price
		return nil
	})
	if err != nil {
		return 0, err
	}

	var orderID int64
	if err := tx.QueryRow(ctx, "INSERT INTO orders (user_id) VALUES ($1) RETURNING id", userID).Scan(&orderID); err != nil {
		return 0, err
	}
	quantities := make([]int32, len(lines))
	unitPrices := make([]decimal.Decimal, len(lines))
	for i, l := range lines {
		p, ok := prices[l.ProductID]
		if !ok {
			return 0, errors.New("product not found")
		}
		quantities[i] = l.Quantity
		unitPrices[i] = p
	}
	_, err = tx.Exec(ctx, `INSERT INTO order_items (order_id, product_id, quantity, unit_price)
		SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::numeric[])`, orderID, ids, quantities, unitPrices)
	if err != nil {
		return 0, err
	}
	return orderID, tx.Commit(ctx)
}

type pgxOrder struct {
	id        int64
	createdAt time.Time
	items     []pgxItem
}

type pgxItem struct {
	id, productID int64
	quantity      int32
	unitPrice     decimal.Decimal
}

func recentOrdersPgx(ctx context.Context, pool *pgxpool.Pool, userID int64, limit int) ([]*pgxOrder, error) {
	rows, err := pool.Query(ctx, `SELECT o.id, o.created_at, oi.id, oi.product_id, oi.quantity, oi.unit_price
		FROM (SELECT id, created_at FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2) o
		JOIN order_items oi ON oi.order_id = o.id
		ORDER BY o.created_at DESC, o.id DESC, oi.id`, userID, limit)
	if err != nil {
		return nil, err
	}
	var orders []*pgxOrder
	var o pgxOrder
	var it pgxItem
	_, err = pgx.ForEachRow(rows, []any{&o.id, &o.createdAt, &it.id, &it.productID, &it.quantity, &it.unitPrice}, func() error {
		if len(orders) == 0 || orders[len(orders)-1].id != o.id {
			orders = append(orders, &pgxOrder{id: o.id, createdAt: o.createdAt})
		}
		last := orders[len(orders)-1]
		last.items = append(last.items, it)
		return nil
	})
	return orders, err
}

type pgxUser struct {
	id                   int64
	name, email          string
	createdAt, updatedAt time.Time
}

func verifyTokenPgx(ctx context.Context, pool *pgxpool.Pool, token string) (*pgxUser, error) {
	secret, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(secret) != 32 {
		return nil, errors.New("invalid token")
	}
	hash := sha256.Sum256(secret)
	var u pgxUser
	err = pool.QueryRow(ctx, `SELECT u.id, u.name, u.email, u.created_at, u.updated_at
		FROM auth_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.expires_at > now() AND u.deleted_at IS NULL`, hash[:]).
		Scan(&u.id, &u.name, &u.email, &u.createdAt, &u.updatedAt)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := forge.HashPassword("correct horse battery staple", forge.DefaultPasswordParams); err != nil {
			b.Fatal(err)
		}
	}
}

// withParam appends a parameter to a URL or key=value connection string.
func withParam(connString, param string) string {
	switch {
	case !strings.Contains(connString, "://"):
		return connString + " " + param
	case strings.Contains(connString, "?"):
		return connString + "&" + param
	default:
		return connString + "?" + param
	}
}
