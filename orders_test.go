package forge_test

import (
	"context"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/ent/product"
)

func TestPlaceOrderStoresItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	mug := createProduct(t, db, "Mug", "9.95")
	pen := createProduct(t, db, "Pen", "0.10")

	o, err := db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: 3}, {ProductID: pen, Quantity: 7}})
	require.NoError(t, err)
	require.Len(t, o.Edges.Items, 2)
	require.Equal(t, "30.55", forge.OrderTotal(o.Edges.Items).StringFixed(2))

	stored, err := db.RecentOrders(ctx, userID, 10)
	require.NoError(t, err)
	require.Len(t, stored, 1)
	require.Equal(t, o.ID, stored[0].ID)
	require.Len(t, stored[0].Edges.Items, 2)
	require.True(t, forge.OrderTotal(stored[0].Edges.Items).Equal(mustDecimal("30.55")))
}

// TestPlaceOrderMoneyIsExact uses prices whose float64 sums are inexact (0.1 + 0.2).
func TestPlaceOrderMoneyIsExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	a := createProduct(t, db, "A", "0.10")
	b := createProduct(t, db, "B", "0.20")

	lines := make([]forge.OrderLine, 0, 20)
	for range 10 {
		lines = append(lines, forge.OrderLine{ProductID: a, Quantity: 1}, forge.OrderLine{ProductID: b, Quantity: 1})
	}
	o, err := db.PlaceOrder(ctx, userID, lines)
	require.NoError(t, err)
	require.Equal(t, "3", forge.OrderTotal(o.Edges.Items).String())

	var sum decimal.Decimal
	err = db.Pool.QueryRow(ctx, "SELECT sum(quantity * unit_price) FROM order_items WHERE order_id = $1", o.ID).Scan(&sum)
	require.NoError(t, err)
	require.True(t, sum.Equal(mustDecimal("3.00")), "sum in SQL: %s", sum)
}

func TestPlaceOrderUsesCurrentPrice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	mug := createProduct(t, db, "Mug", "9.95")

	first, err := db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: 1}})
	require.NoError(t, err)
	require.NoError(t, db.Client.Product.UpdateOneID(mug).SetPrice(mustDecimal("12.00")).Exec(ctx))
	second, err := db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: 1}})
	require.NoError(t, err)

	require.Equal(t, "9.95", first.Edges.Items[0].UnitPrice.StringFixed(2))
	require.Equal(t, "12.00", second.Edges.Items[0].UnitPrice.StringFixed(2))
}

// TestPlaceOrderPriceChangeWaits checks that a price change racing an order is either
// entirely before it (new price) or entirely after it (old price), never in between.
func TestPlaceOrderPriceChangeWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	mug := createProduct(t, db, "Mug", "1.00")

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 2; i <= 20; i++ {
			_ = db.Client.Product.Update().Where(product.ID(mug)).SetPrice(decimal.NewFromInt(int64(i))).Exec(ctx)
		}
	}()
	for range 20 {
		o, err := db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: 1}})
		require.NoError(t, err)
		require.True(t, o.Edges.Items[0].UnitPrice.IsInteger(), "unit price %s", o.Edges.Items[0].UnitPrice)
	}
	wg.Wait()
}

func TestPlaceOrderRejectsBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	mug := createProduct(t, db, "Mug", "9.95")

	_, err := db.PlaceOrder(ctx, userID, nil)
	require.ErrorIs(t, err, forge.ErrEmptyOrder)

	_, err = db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: 0}})
	require.ErrorIs(t, err, forge.ErrInvalidQuantity)

	_, err = db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: -2}})
	require.ErrorIs(t, err, forge.ErrInvalidQuantity)

	_, err = db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: 1}, {ProductID: 987654, Quantity: 1}})
	require.ErrorIs(t, err, forge.ErrProductNotFound)
	require.Contains(t, err.Error(), "987654")

	_, err = db.PlaceOrder(ctx, 123456, []forge.OrderLine{{ProductID: mug, Quantity: 1}})
	require.ErrorIs(t, err, forge.ErrUserNotFound)

	n, err := db.Client.Order.Query().Count(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a rejected order left rows behind")
}

func TestPlaceOrderRejectsDeletedUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	mug := createProduct(t, db, "Mug", "9.95")
	require.NoError(t, db.DeleteUser(ctx, userID))

	_, err := db.PlaceOrder(ctx, userID, []forge.OrderLine{{ProductID: mug, Quantity: 1}})
	require.ErrorIs(t, err, forge.ErrUserDeleted)
}
