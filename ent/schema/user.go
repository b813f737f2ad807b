package schema

import (
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a customer account. Deleting a user sets deleted_at; the row stays so that its
// orders keep their owner.
type User struct {
	ent.Schema
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Checks(map[string]string{
			// The unique index compares emails byte by byte, so case-insensitive uniqueness
			// holds only while every stored email is already lower case and trimmed.
			"users_email_normalized": "email = lower(btrim(email))",
		}),
	}
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{CreateTime{}}
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("name").
			MaxLen(255).
			NotEmpty().
			SchemaType(varchar255),
		field.String("email").
			MaxLen(255).
			NotEmpty().
			Validate(validateNormalizedEmail).
			SchemaType(varchar255),
		field.String("password_hash").
			NotEmpty().
			Sensitive(),
		field.Time("updated_at").
			Default(nowUTC).
			UpdateDefault(nowUTC).
			Annotations(entsql.Default("CURRENT_TIMESTAMP")),
		field.Time("deleted_at").
			Optional().
			Nillable(),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("orders", Order.Type).
			Annotations(entsql.OnDelete(entsql.Restrict)),
		edge.To("auth_tokens", AuthToken.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("email").
			Unique().
			StorageKey("users_email_active_key").
			Annotations(
				entsql.IndexWhere("deleted_at IS NULL"),
				Serves{"Sign-in: look up an active user by email; also makes email unique among active users."},
			),
		index.Fields("created_at").
			StorageKey("users_created_at_idx").
			Annotations(
				Serves{"Sign-ups over time for all users, deleted ones included (admin and growth reports)."},
			),
		index.Fields("created_at", "id").
			StorageKey("users_active_created_at_idx").
			Annotations(
				entsql.IndexWhere("deleted_at IS NULL"),
				Serves{"Customer report: active users who signed up since a date, in id order within a day."},
			),
	}
}

// NormalizeEmail returns the form in which emails are stored: trimmed and lower case.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

var errEmptyEmail = errors.New("email is empty")

func validateNormalizedEmail(email string) error {
	if email == "" {
		return errEmptyEmail
	}
	if normalized := NormalizeEmail(email); normalized != email {
		return fmt.Errorf("email %q is not normalized: store %q instead (see schema.NormalizeEmail)", email, normalized)
	}
	return nil
}
