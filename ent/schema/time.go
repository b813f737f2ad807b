package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// nowUTC is the default for every time column, so values created in Go are in UTC whatever
// the process's TZ is.
func nowUTC() time.Time { return time.Now().UTC() }

// CreateTime adds created_at, set once by Go and defaulted by the database for rows loaded
// outside ent (COPY, psql).
type CreateTime struct{ mixin.Schema }

// Fields of the CreateTime mixin.
func (CreateTime) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Immutable().
			Default(nowUTC).
			Annotations(entsql.Default("CURRENT_TIMESTAMP")),
	}
}
