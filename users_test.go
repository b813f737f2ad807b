package forge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/ent/user"
)

func TestCreateUserNormalizesEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)

	u, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "  Ada@Example.COM ", Password: "correct horse"})
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", u.Email)
	require.NotContains(t, u.PasswordHash, "correct horse")
	require.True(t, strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$"))
}

func TestCreateUserRejectsTakenEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	_, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ada@example.com", Password: "pw"})
	require.NoError(t, err)

	_, err = db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ADA@example.com", Password: "pw"})
	require.ErrorIs(t, err, forge.ErrEmailTaken)
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	created, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ada@example.com", Password: "correct horse"})
	require.NoError(t, err)

	u, err := db.Authenticate(ctx, " ADA@example.com", "correct horse")
	require.NoError(t, err)
	require.Equal(t, created.ID, u.ID)

	_, err = db.Authenticate(ctx, "ada@example.com", "wrong horse")
	require.ErrorIs(t, err, forge.ErrInvalidCredentials)

	_, err = db.Authenticate(ctx, "nobody@example.com", "correct horse")
	require.ErrorIs(t, err, forge.ErrInvalidCredentials)

	require.NoError(t, db.DeleteUser(ctx, created.ID))
	_, err = db.Authenticate(ctx, "ada@example.com", "correct horse")
	require.ErrorIs(t, err, forge.ErrInvalidCredentials)
}

func TestAuthenticateRehashesOldParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := openTestDB(t)
	oldHash, err := forge.HashPassword("correct horse", forge.PasswordParams{Memory: 32, Iterations: 1, Parallelism: 1})
	require.NoError(t, err)
	created, err := tdb.Client.User.Create().SetName("Ada").SetEmail("ada@example.com").SetPasswordHash(oldHash).Save(ctx)
	require.NoError(t, err)

	u, err := tdb.Authenticate(ctx, "ada@example.com", "correct horse")
	require.NoError(t, err)

	stored, err := tdb.Client.User.Get(ctx, created.ID)
	require.NoError(t, err)
	require.NotEqual(t, oldHash, stored.PasswordHash)
	require.Equal(t, stored.PasswordHash, u.PasswordHash)
	require.False(t, forge.PasswordNeedsRehash(stored.PasswordHash, fastPasswords))
	ok, err := forge.VerifyPassword(stored.PasswordHash, "correct horse")
	require.NoError(t, err)
	require.True(t, ok)
}

func TestPasswordHashRoundTrip(t *testing.T) {
	t.Parallel()
	hash, err := forge.HashPassword("correct horse", fastPasswords)
	require.NoError(t, err)

	ok, err := forge.VerifyPassword(hash, "correct horse")
	require.NoError(t, err)
	require.True(t, ok)

	ok, err = forge.VerifyPassword(hash, "correct horsf")
	require.NoError(t, err)
	require.False(t, ok)

	again, err := forge.HashPassword("correct horse", fastPasswords)
	require.NoError(t, err)
	require.NotEqual(t, hash, again, "each hash must have its own salt")
}

func TestPasswordNeedsRehash(t *testing.T) {
	t.Parallel()
	hash, err := forge.HashPassword("pw", fastPasswords)
	require.NoError(t, err)

	require.False(t, forge.PasswordNeedsRehash(hash, fastPasswords))
	require.True(t, forge.PasswordNeedsRehash(hash, forge.PasswordParams{Memory: 128, Iterations: 1, Parallelism: 1}))
	require.True(t, forge.PasswordNeedsRehash("$2a$10$bcrypthashfromanothersystem", fastPasswords))
}

func TestVerifyPasswordRejectsMalformedHash(t *testing.T) {
	t.Parallel()
	for _, hash := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$",
	} {
		_, err := forge.VerifyPassword(hash, "pw")
		require.Error(t, err, hash)
	}
}

func TestDeleteUserIsSoft(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ada := createUser(t, db, "ada@example.com")
	bob := createUser(t, db, "bob@example.com")
	token, err := db.IssueToken(ctx, ada, time.Hour)
	require.NoError(t, err)

	require.NoError(t, db.DeleteUser(ctx, ada))

	ids, err := db.Client.User.Query().IDs(ctx)
	require.NoError(t, err)
	require.Equal(t, []int64{bob}, ids)

	deleted, err := db.Client.User.Get(forge.IncludeDeleted(ctx), ada)
	require.NoError(t, err)
	require.NotNil(t, deleted.DeletedAt)

	tokens, err := db.Client.AuthToken.Query().Count(ctx)
	require.NoError(t, err)
	require.Zero(t, tokens, "soft delete must revoke the user's tokens")
	_, err = db.VerifyToken(ctx, token.Token)
	require.ErrorIs(t, err, forge.ErrInvalidToken)

	err = db.DeleteUser(ctx, ada)
	require.ErrorIs(t, err, forge.ErrUserNotFound)
}

func TestEntDeleteIsSoft(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ada := createUser(t, db, "ada@example.com")
	createUser(t, db, "bob@example.com")
	_, err := db.IssueToken(ctx, ada, time.Hour)
	require.NoError(t, err)

	// A bulk delete through the plain ent client, outside any transaction.
	n, err := db.Client.User.Delete().Where(user.EmailHasPrefix("ada")).Exec(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	var rows, deleted, tokens int
	err = db.Pool.QueryRow(ctx, `SELECT count(*), count(deleted_at), (SELECT count(*) FROM auth_tokens) FROM users`).
		Scan(&rows, &deleted, &tokens)
	require.NoError(t, err)
	require.Equal(t, 2, rows)
	require.Equal(t, 1, deleted)
	require.Zero(t, tokens)
}

func TestEntDeleteInTxRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ada := createUser(t, db, "ada@example.com")
	_, err := db.IssueToken(ctx, ada, time.Hour)
	require.NoError(t, err)

	tx, err := db.Client.Tx(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.User.DeleteOneID(ada).Exec(ctx))
	require.NoError(t, tx.Rollback())

	_, err = db.Client.User.Get(ctx, ada)
	require.NoError(t, err)
	tokens, err := db.Client.AuthToken.Query().Count(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, tokens)
}

func TestEmailReusableAfterDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ada := createUser(t, db, "ada@example.com")
	require.NoError(t, db.DeleteUser(ctx, ada))

	_, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ada@example.com", Password: "pw"})
	require.NoError(t, err)
}

func TestHardDeleteUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ada := createUser(t, db, "ada@example.com")
	_, err := db.IssueToken(ctx, ada, time.Hour)
	require.NoError(t, err)
	require.NoError(t, db.DeleteUser(ctx, ada))

	require.NoError(t, db.HardDeleteUser(ctx, ada))

	n, err := db.Client.User.Query().Count(forge.IncludeDeleted(ctx))
	require.NoError(t, err)
	require.Zero(t, n)
	err = db.HardDeleteUser(ctx, ada)
	require.ErrorIs(t, err, forge.ErrUserNotFound)
}

func TestHardDeleteUserWithOrders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ada := createUser(t, db, "ada@example.com")
	mug := createProduct(t, db, "Mug", "9.95")
	_, err := db.PlaceOrder(ctx, ada, []forge.OrderLine{{ProductID: mug, Quantity: 1}})
	require.NoError(t, err)

	err = db.HardDeleteUser(ctx, ada)
	require.ErrorIs(t, err, forge.ErrUserHasOrders)
}

func TestSensitiveFieldsHidden(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	u, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ada@example.com", Password: "correct horse"})
	require.NoError(t, err)
	issued, err := db.IssueToken(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	token, err := db.Client.AuthToken.Get(ctx, issued.ID)
	require.NoError(t, err)
	hashHex := fmt.Sprintf("%x", token.TokenHash)

	require.NotContains(t, u.String(), u.PasswordHash)
	require.NotContains(t, u.String(), "argon2id")
	userJSON, err := json.Marshal(u)
	require.NoError(t, err)
	require.NotContains(t, string(userJSON), "argon2id")

	require.NotContains(t, token.String(), hashHex)
	require.NotContains(t, token.String(), fmt.Sprint(token.TokenHash))
	tokenJSON, err := json.Marshal(token)
	require.NoError(t, err)
	require.NotContains(t, string(tokenJSON), "token_hash")

	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("loaded", "user", u, "token", token)
	require.NotContains(t, logged.String(), "argon2id")
	require.NotContains(t, logged.String(), hashHex)
}
