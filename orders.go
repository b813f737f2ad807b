package forge

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/ent/product"
	"github.com/forgedb/forge/ent/user"
)

// OrderLine is one requested item of an order.
type OrderLine struct {
	ProductID int64
	Quantity  int32
}

// PlaceOrder stores an order of userID with one item per line, in one transaction, and
// returns it with its items in Edges.Items. Each item's unit price is the product's price in
// that transaction: the product rows are locked FOR SHARE until commit, so a concurrent price
// change waits and cannot slip between reading the price and storing the item. Errors match
// ErrEmptyOrder, ErrInvalidQuantity, ErrProductNotFound, ErrUserNotFound or ErrUserDeleted.
//
// NOTE: when the connection breaks during the commit (an error matching ErrUnavailable), the
// order may or may not have been stored. Callers that retry must check first, or the customer
// may be charged twice.
func (db *DB) PlaceOrder(ctx context.Context, userID int64, lines []OrderLine) (*ent.Order, error) {
	if err := checkLines(lines); err != nil {
		return nil, fmt.Errorf("place order for user %d: %w", userID, err)
	}
	var placed *ent.Order
	err := db.InTx(ctx, TxOptions{}, func(tx *ent.Tx) error {
		var err error
		placed, err = placeOrder(ctx, tx.Client(), userID, lines)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("place order for user %d: %w", userID, db.classify(err))
	}
	return placed, nil
}

func checkLines(lines []OrderLine) error {
	if len(lines) == 0 {
		return ErrEmptyOrder
	}
	for i, l := range lines {
		if l.Quantity <= 0 {
			return fmt.Errorf("%w: line %d (product %d) has quantity %d; use 1 or more",
				ErrInvalidQuantity, i+1, l.ProductID, l.Quantity)
		}
	}
	return nil
}

// placeOrder does PlaceOrder's work with client, which must be bound to a transaction.
func placeOrder(ctx context.Context, client *ent.Client, userID int64, lines []OrderLine) (*ent.Order, error) {
	// FOR SHARE keeps a concurrent soft delete (an UPDATE of the row) waiting until commit.
	_, err := client.User.Query().Where(user.ID(userID)).ForShare().OnlyID(ctx)
	if ent.IsNotFound(err) {
		return nil, activeUser(ctx, client, userID)
	}
	if err != nil {
		return nil, err
	}

	prices, err := lockPrices(ctx, client, lines)
	if err != nil {
		return nil, err
	}

	o, err := client.Order.Create().SetUserID(userID).Save(ctx)
	if err != nil {
		return nil, err
	}
	items := make([]*ent.OrderItemCreate, len(lines))
	for i, l := range lines {
		items[i] = client.OrderItem.Create().
			SetOrderID(o.ID).
			SetProductID(l.ProductID).
			SetQuantity(l.Quantity).
			SetUnitPrice(prices[l.ProductID])
	}
	o.Edges.Items, err = client.OrderItem.CreateBulk(items...).Save(ctx)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// lockPrices reads the price of every product in lines, locking the rows FOR SHARE in id
// order. A fixed lock order keeps two orders from deadlocking with price updates.
func lockPrices(ctx context.Context, client *ent.Client, lines []OrderLine) (map[int64]decimal.Decimal, error) {
	ids := make([]int64, 0, len(lines))
	for _, l := range lines {
		ids = append(ids, l.ProductID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	products, err := client.Product.Query().
		Where(product.IDIn(ids...)).
		Order(product.ByID()).
		ForShare().
		All(ctx)
	if err != nil {
		return nil, err
	}
	prices := make(map[int64]decimal.Decimal, len(products))
	for _, p := range products {
		prices[p.ID] = p.Price
	}
	for _, id := range ids {
		if _, ok := prices[id]; !ok {
			return nil, fmt.Errorf("%w: product %d", ErrProductNotFound, id)
		}
	}
	return prices, nil
}

// OrderTotal returns the exact sum of quantity x unit price over items.
func OrderTotal(items []*ent.OrderItem) decimal.Decimal {
	total := decimal.Zero
	for _, it := range items {
		total = total.Add(it.UnitPrice.Mul(decimal.NewFromInt32(it.Quantity)))
	}
	return total
}

// RecentOrders returns the user's newest orders, at most limit, with their items in
// Edges.Items ordered by item id. It is one pgx query rather than ent's eager loading, which
// takes a second round trip for the items. The entities are attached to db.Client, so their
// edge queries and mutations work as usual.
func (db *DB) RecentOrders(ctx context.Context, userID int64, limit int) ([]*ent.Order, error) {
	rows, err := db.Pool.Query(ctx, recentOrdersSQL, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list recent orders of user %d: %w", userID, db.classify(err))
	}
	var (
		orders    []*ent.Order
		orderID   int64
		createdAt time.Time
		itemID    *int64
		productID *int64
		quantity  *int32
		unitPrice decimal.NullDecimal
	)
	_, err = pgx.ForEachRow(rows, []any{&orderID, &createdAt, &itemID, &productID, &quantity, &unitPrice}, func() error {
		if len(orders) == 0 || orders[len(orders)-1].ID != orderID {
			o := db.Client.Order.Attach(&ent.Order{ID: orderID, CreatedAt: createdAt, UserID: userID})
			o.Edges.SetItems([]*ent.OrderItem{})
			orders = append(orders, o)
		}
		if itemID == nil {
			return nil // an order without items
		}
		last := orders[len(orders)-1]
		item := db.Client.OrderItem.Attach(&ent.OrderItem{
			ID: *itemID, OrderID: orderID, ProductID: *productID, Quantity: *quantity, UnitPrice: unitPrice.Decimal,
		})
		last.Edges.SetItems(append(last.Edges.Items, item))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list recent orders of user %d: %w", userID, db.classify(err))
	}
	return orders, nil
}

// recentOrdersSQL reads the newest orders through orders_user_id_created_at_idx and their
// items through order_items_order_id_idx.
const recentOrdersSQL = `SELECT o.id, o.created_at, oi.id, oi.product_id, oi.quantity, oi.unit_price
FROM (SELECT id, created_at FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2) o
LEFT JOIN order_items oi ON oi.order_id = o.id
ORDER BY o.created_at DESC, o.id DESC, oi.id`
