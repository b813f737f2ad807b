package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// SeedRun records one committed seed, written in the same transaction as the data, so a
// report can name the data it ran on. Equal seed, counts and format_version mean equal data,
// and checksum proves it.
type SeedRun struct {
	ent.Schema
}

// Annotations of the SeedRun.
func (SeedRun) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("seed_runs"),
	}
}

// Mixin of the SeedRun.
func (SeedRun) Mixin() []ent.Mixin {
	return []ent.Mixin{CreateTime{}}
}

// Fields of the SeedRun.
func (SeedRun) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("seed").
			Immutable(),
		field.String("scale").
			Immutable(),
		field.Time("reference_time").
			Immutable().
			Comment("the instant the generated history ends; the data's \"now\""),
		field.Int64("users").
			Immutable(),
		field.Int64("products").
			Immutable(),
		field.Int64("orders").
			Immutable(),
		field.Int64("order_items").
			Immutable(),
		field.Int64("auth_tokens").
			Immutable(),
		field.String("checksum").
			Immutable().
			Comment("hex SHA-256 of the generated COPY stream, per chunk and table"),
		field.Int("format_version").
			Immutable().
			Comment("version of the generator's output: equal seeds give equal data only at equal versions"),
		field.String("forge_version").
			Immutable(),
		field.String("gofakeit_version").
			Immutable(),
		field.Int64("duration_ms").
			Immutable().
			Comment("time from the start of the seed transaction to the end of the index builds"),
	}
}
