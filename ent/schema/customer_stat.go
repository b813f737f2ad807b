package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/shopspring/decimal"
)

// CustomerStat is the running total of one user's orders, which the customer report reads
// instead of aggregating every order item. It also copies the user's created_at and
// deleted_at, so the report and the tier summary filter without reading users. Triggers on
// users, orders and order_items, defined in the migrations that create and extend this table,
// keep it current in the same transaction as each write. It has no foreign key to users, so
// TRUNCATE of the data tables stays possible, and the triggers delete the row of a deleted user.
type CustomerStat struct {
	ent.Schema
}

// Annotations of the CustomerStat.
func (CustomerStat) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("customer_stats"),
		entsql.Checks(map[string]string{
			"customer_stats_total_orders_check":   "total_orders >= 0",
			"customer_stats_lifetime_value_check": "lifetime_value >= 0",
		}),
	}
}

// Fields of the CustomerStat.
func (CustomerStat) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").
			StorageKey("user_id").
			Immutable().
			Annotations(entsql.Annotation{Incremental: new(false)}),
		field.Int64("total_orders").
			Default(0).
			NonNegative(),
		// Unconstrained numeric, because a customer's total may exceed the numeric(10,2) of
		// one price. Sums of numeric(10,2) values keep two decimal places.
		field.Other("lifetime_value", decimal.Decimal{}).
			SchemaType(map[string]string{dialect.Postgres: "numeric"}).
			Default(decimal.Zero).
			Annotations(entsql.Default("0")),
		field.Time("last_order_at").
			Optional().
			Nillable(),
		// signed_up_at is users.created_at.
		field.Time("signed_up_at"),
		field.Time("deleted_at").
			Optional().
			Nillable(),
	}
}

// Indexes of the CustomerStat.
func (CustomerStat) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lifetime_value", "id").
			StorageKey("customer_stats_active_value_idx").
			Annotations(
				entsql.IndexWhere("deleted_at IS NULL"),
				Serves{"Customer report: active users by highest lifetime value, ties by user id, and keyset paging from (value, user id)."},
			),
	}
}
