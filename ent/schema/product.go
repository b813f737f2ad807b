package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/shopspring/decimal"
)

// Product is an item for sale at its current price.
type Product struct {
	ent.Schema
}

// Annotations of the Product.
func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			"products_price_check": "price >= 0",
		}),
	}
}

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("name").
			MaxLen(255).
			NotEmpty().
			SchemaType(varchar255),
		field.Other("price", decimal.Decimal{}).
			SchemaType(money),
	}
}

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("order_items", OrderItem.Type).
			Annotations(entsql.OnDelete(entsql.Restrict)),
	}
}
