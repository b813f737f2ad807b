package schema

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	gen "github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/ent/authtoken"
	"github.com/forgedb/forge/ent/hook"
	"github.com/forgedb/forge/ent/intercept"
	"github.com/forgedb/forge/ent/user"
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
	return []ent.Mixin{CreateTime{}, SoftDelete{}}
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
				Serves{"Active users by signup time through the ent client, whose soft-delete interceptor adds " +
					"deleted_at IS NULL: newest sign-ups, sign-ups since a date. The planner prefers it to " +
					"users_created_at_idx once deleted users are a sizeable share."},
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

type (
	includeDeletedKey struct{}
	hardDeleteKey     struct{}
)

// IncludeDeleted returns a context in which user queries also return soft-deleted users.
func IncludeDeleted(ctx context.Context) context.Context {
	return context.WithValue(ctx, includeDeletedKey{}, true)
}

// HardDelete returns a context in which deleting users removes their rows instead of setting
// deleted_at. The database still rejects removing a user who has orders (ON DELETE RESTRICT).
func HardDelete(ctx context.Context) context.Context {
	return context.WithValue(ctx, hardDeleteKey{}, true)
}

// SoftDelete is the mixin that makes deleting a user set deleted_at. Queries skip users whose
// deleted_at is set, unless the context comes from IncludeDeleted. Deletes set deleted_at and
// remove the users' auth tokens in one transaction, unless the context comes from HardDelete.
// Because this package imports the generated client, ent puts the schema-stitching code in
// package ent/runtime, which programs must import for its side effects.
type SoftDelete struct{ mixin.Schema }

// Interceptors of the SoftDelete mixin.
func (SoftDelete) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			if included, _ := ctx.Value(includeDeletedKey{}).(bool); !included {
				q.WhereP(sql.FieldIsNull(user.FieldDeletedAt))
			}
			return nil
		}),
	}
}

// Hooks of the SoftDelete mixin.
func (SoftDelete) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(softDeleteUsers, ent.OpDelete|ent.OpDeleteOne),
	}
}

// softDeleteUsers turns a delete of users into an update of deleted_at plus a delete of the
// users' auth tokens. Both run in the mutation's transaction, or in a new one when the
// mutation runs outside a transaction.
func softDeleteUsers(next ent.Mutator) ent.Mutator {
	return hook.UserFunc(func(ctx context.Context, m *gen.UserMutation) (ent.Value, error) {
		if hard, _ := ctx.Value(hardDeleteKey{}).(bool); hard {
			return next.Mutate(ctx, m)
		}
		// The query behind IDs goes through the interceptor above, so users deleted before
		// are not counted again.
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("find users to delete: %w", err)
		}
		if len(ids) == 0 {
			return 0, nil
		}
		if _, err := m.Tx(); err == nil {
			return softDeleteIDs(ctx, m.Client(), ids)
		}
		tx, err := m.Client().Tx(ctx)
		if err != nil {
			return nil, err
		}
		n, err := softDeleteIDs(ctx, tx.Client(), ids)
		if err != nil {
			return nil, errors.Join(err, tx.Rollback())
		}
		return n, tx.Commit()
	})
}

func softDeleteIDs(ctx context.Context, client *gen.Client, ids []int64) (int, error) {
	n, err := client.User.Update().
		Where(user.IDIn(ids...), user.DeletedAtIsNil()).
		SetDeletedAt(time.Now().UTC()).
		Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("set deleted_at of users: %w", err)
	}
	if _, err := client.AuthToken.Delete().Where(authtoken.UserIDIn(ids...)).Exec(ctx); err != nil {
		return 0, fmt.Errorf("revoke auth tokens of deleted users: %w", err)
	}
	return n, nil
}
