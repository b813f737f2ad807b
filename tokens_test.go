package forge_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/ent/authtoken"
)

func TestIssueTokenStoresOnlyHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")

	issued, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)
	secret, err := base64.RawURLEncoding.DecodeString(issued.Token)
	require.NoError(t, err)
	require.Len(t, secret, 32, "token must carry 256 bits")

	stored, err := db.Client.AuthToken.Get(ctx, issued.ID)
	require.NoError(t, err)
	want := sha256.Sum256(secret)
	require.Equal(t, want[:], stored.TokenHash)

	var plain int
	err = db.Pool.QueryRow(ctx, "SELECT count(*) FROM auth_tokens WHERE position($1::bytea in token_hash) > 0",
		[]byte(issued.Token)).Scan(&plain)
	require.NoError(t, err)
	require.Zero(t, plain)
}

func TestIssueTokenIsRandom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")

	a, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)
	b, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)
	require.NotEqual(t, a.Token, b.Token)
}

func TestVerifyTokenReturnsUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	issued, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)

	u, err := db.VerifyToken(ctx, issued.Token)
	require.NoError(t, err)
	require.Equal(t, userID, u.ID)
}

func TestVerifyTokenRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	issued, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)
	flipped := []byte(issued.Token)
	flipped[0] ^= 1

	for name, token := range map[string]string{
		"empty":      "",
		"short":      issued.Token[:20],
		"not base64": issued.Token[:42] + "!",
		"unknown":    string(flipped),
	} {
		_, err := db.VerifyToken(ctx, token)
		require.ErrorIs(t, err, forge.ErrInvalidToken, name)
	}
}

func TestVerifyTokenRejectsExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	issued, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)
	require.NoError(t, db.Client.AuthToken.UpdateOneID(issued.ID).SetExpiresAt(time.Now().Add(-time.Second)).Exec(ctx))

	_, err = db.VerifyToken(ctx, issued.Token)
	require.ErrorIs(t, err, forge.ErrInvalidToken)
}

func TestVerifyTokenRejectsRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	stillValid, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)
	revoked, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)

	require.NoError(t, db.RevokeToken(ctx, revoked.Token))
	require.NoError(t, db.RevokeToken(ctx, revoked.Token), "revoking twice must succeed")

	_, err = db.VerifyToken(ctx, revoked.Token)
	require.ErrorIs(t, err, forge.ErrInvalidToken)
	_, err = db.VerifyToken(ctx, stillValid.Token)
	require.NoError(t, err)
}

func TestRevokeUserTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ada := createUser(t, db, "ada@example.com")
	bob := createUser(t, db, "bob@example.com")
	var adaTokens []string
	for range 3 {
		issued, err := db.IssueToken(ctx, ada, time.Hour)
		require.NoError(t, err)
		adaTokens = append(adaTokens, issued.Token)
	}
	bobToken, err := db.IssueToken(ctx, bob, time.Hour)
	require.NoError(t, err)

	n, err := db.RevokeUserTokens(ctx, ada)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for _, token := range adaTokens {
		_, err := db.VerifyToken(ctx, token)
		require.ErrorIs(t, err, forge.ErrInvalidToken)
	}
	_, err = db.VerifyToken(ctx, bobToken.Token)
	require.NoError(t, err)
}

func TestVerifyTokenRejectsDeletedUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	issued, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)

	// Mark the user deleted behind the client's back, so the token row survives and only
	// the user check can reject it.
	_, err = db.Pool.Exec(ctx, "UPDATE users SET deleted_at = now() WHERE id = $1", userID)
	require.NoError(t, err)

	_, err = db.VerifyToken(ctx, issued.Token)
	require.ErrorIs(t, err, forge.ErrInvalidToken)
}

func TestIssueTokenRejectsDeletedUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	require.NoError(t, db.DeleteUser(ctx, userID))

	_, err := db.IssueToken(ctx, userID, time.Hour)
	require.ErrorIs(t, err, forge.ErrUserDeleted)
}

func TestPurgeExpiredTokensInBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	live, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)
	for range 7 {
		issued, err := db.IssueToken(ctx, userID, time.Hour)
		require.NoError(t, err)
		require.NoError(t, db.Client.AuthToken.UpdateOneID(issued.ID).SetExpiresAt(time.Now().Add(-time.Minute)).Exec(ctx))
	}

	n, err := db.PurgeExpiredTokens(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, int64(7), n)

	left, err := db.Client.AuthToken.Query().Where(authtoken.UserID(userID)).IDs(ctx)
	require.NoError(t, err)
	require.Equal(t, []int64{live.ID}, left)
}

func TestPurgeExpiredTokensRejectsNegativeBatch(t *testing.T) {
	t.Parallel()
	db := openTestDB(t)

	_, err := db.PurgeExpiredTokens(context.Background(), -1)
	require.ErrorIs(t, err, forge.ErrInvalidConfig)
}

func TestIssuedTokenHidesSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	userID := createUser(t, db, "ada@example.com")
	issued, err := db.IssueToken(ctx, userID, time.Hour)
	require.NoError(t, err)

	require.NotContains(t, issued.String(), issued.Token)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("issued", "token", issued)
	require.NotContains(t, logged.String(), issued.Token)
	require.Contains(t, logged.String(), `"user_id"`)
}

// TestDeleteUserRacingIssueToken deletes users while tokens are being issued for them. Either
// order of the two must leave no token of a deleted user behind.
func TestDeleteUserRacingIssueToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	issuedBeforeDelete := 0

	for i := range 10 {
		userID := createUser(t, db, fmt.Sprintf("race%d@example.com", i))
		issued := make(chan int)
		go func() {
			n := 0
			for {
				if _, err := db.IssueToken(ctx, userID, time.Hour); err != nil {
					break
				}
				n++
			}
			issued <- n
		}()
		time.Sleep(time.Duration(i) * time.Millisecond)
		require.NoError(t, db.DeleteUser(ctx, userID))
		issuedBeforeDelete += <-issued

		left, err := db.Client.AuthToken.Query().Where(authtoken.UserID(userID)).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, left, "user %d kept tokens after its delete", userID)
	}
	require.Positive(t, issuedBeforeDelete, "no token was issued before a delete, so nothing raced")
	t.Logf("%d tokens issued and then revoked by the deletes", issuedBeforeDelete)
}
