package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuthToken is a bearer token issued to a user. Only the SHA-256 hash of the token is
// stored, so a copy of the database cannot be used to sign in.
type AuthToken struct {
	ent.Schema
}

// Mixin of the AuthToken.
func (AuthToken) Mixin() []ent.Mixin {
	return []ent.Mixin{CreateTime{}}
}

// Fields of the AuthToken.
func (AuthToken) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("user_id").
			Immutable(),
		field.Bytes("token_hash").
			Immutable().
			NotEmpty().
			Sensitive(),
		field.Time("expires_at"),
	}
}

// Edges of the AuthToken.
func (AuthToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).
			Ref("auth_tokens").
			Field("user_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes of the AuthToken.
func (AuthToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("token_hash").
			Unique().
			StorageKey("auth_tokens_token_hash_key").
			Annotations(
				Serves{"Token verification: look up a token by the hash of the presented value."},
			),
		index.Fields("user_id").
			StorageKey("auth_tokens_user_id_idx").
			Annotations(
				Serves{"A user's tokens (revoke all on sign-out everywhere); also serves ON DELETE CASCADE from users."},
			),
		index.Fields("expires_at").
			StorageKey("auth_tokens_expires_at_idx").
			Annotations(
				Serves{"Purging expired tokens in batches: WHERE expires_at < now() ORDER BY expires_at."},
			),
	}
}
