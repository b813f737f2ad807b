package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/shopspring/decimal"
)

// OrderItem is one line of an order. unit_price is the product's price when the order was
// placed, so later price changes do not rewrite past orders.
type OrderItem struct {
	ent.Schema
}

// Annotations of the OrderItem.
func (OrderItem) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"order_items_quantity_check":   "quantity > 0",
			"order_items_unit_price_check": "unit_price >= 0",
		}),
	}
}

// Fields of the OrderItem.
func (OrderItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("order_id").
			Immutable(),
		field.Int64("product_id").
			Immutable(),
		field.Int32("quantity"),
		field.Other("unit_price", decimal.Decimal{}).
			SchemaType(money),
	}
}

// Edges of the OrderItem.
func (OrderItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).
			Ref("items").
			Field("order_id").
			Unique().
			Required().
			Immutable(),
		edge.From("product", Product.Type).
			Ref("order_items").
			Field("product_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the OrderItem.
func (OrderItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id").
			StorageKey("order_items_order_id_idx").
			Annotations(
				Serves{"An order's items, and the join from orders to items in the customer report; also serves ON DELETE CASCADE from orders."},
			),
		index.Fields("product_id").
			StorageKey("order_items_product_id_idx").
			Annotations(
				Serves{"Sales of one product; also serves the foreign key check that refuses deleting an ordered product."},
			),
	}
}
