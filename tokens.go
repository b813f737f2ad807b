package forge

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/ent/authtoken"
	"github.com/forgedb/forge/ent/user"
)

// tokenBytes is the entropy of an auth token: 256 bits.
const tokenBytes = 32

// DefaultPurgeBatch is the number of expired tokens PurgeExpiredTokens deletes per statement
// when the caller passes 0.
const DefaultPurgeBatch = 1000

// IssuedToken is a new auth token. Token is the only copy of the secret: the database
// stores its SHA-256 hash, so it cannot be shown again.
type IssuedToken struct {
	ID        int64
	UserID    int64
	Token     string
	ExpiresAt time.Time
}

// LogValue keeps the secret out of slog output.
func (t IssuedToken) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", t.ID), slog.Int64("user_id", t.UserID),
		slog.Time("expires_at", t.ExpiresAt))
}

// String describes the token without the secret.
func (t IssuedToken) String() string {
	return fmt.Sprintf("auth token %d of user %d, expires %s", t.ID, t.UserID, t.ExpiresAt.Format(time.RFC3339))
}

// IssueToken creates a token for the active user that expires after ttl. The token is 256
// bits from crypto/rand, encoded as 43 characters of unpadded base64url.
func (db *DB) IssueToken(ctx context.Context, userID int64, ttl time.Duration) (IssuedToken, error) {
	if ttl <= 0 {
		return IssuedToken{}, fmt.Errorf("issue token for user %d: %w: ttl is %s; use a positive duration",
			userID, ErrInvalidConfig, ttl)
	}
	secret := make([]byte, tokenBytes)
	if _, err := rand.Read(secret); err != nil {
		return IssuedToken{}, fmt.Errorf("issue token for user %d: read random bytes: %w", userID, err)
	}
	hash := sha256.Sum256(secret)
	expiresAt := time.Now().UTC().Add(ttl).Truncate(time.Microsecond)

	var created *ent.AuthToken
	err := db.InTx(ctx, TxOptions{}, func(tx *ent.Tx) error {
		// FOR SHARE keeps a concurrent soft delete, which revokes the user's tokens, from
		// committing between this check and the insert.
		_, err := tx.User.Query().Where(user.ID(userID)).ForShare().OnlyID(ctx)
		if ent.IsNotFound(err) {
			return activeUser(ctx, tx.Client(), userID)
		}
		if err != nil {
			return err
		}
		created, err = tx.AuthToken.Create().
			SetUserID(userID).
			SetTokenHash(hash[:]).
			SetExpiresAt(expiresAt).
			Save(ctx)
		return err
	})
	if err != nil {
		return IssuedToken{}, fmt.Errorf("issue token for user %d: %w", userID, db.classify(err))
	}
	return IssuedToken{
		ID:        created.ID,
		UserID:    userID,
		Token:     base64.RawURLEncoding.EncodeToString(secret),
		ExpiresAt: created.ExpiresAt,
	}, nil
}

// VerifyToken returns the user that token belongs to, without its password hash. It returns ErrInvalidToken when the
// token is malformed, unknown, expired or revoked, or its user is deleted.
//
// The lookup is by SHA-256 of the token through the unique index, so the time it takes
// depends on the hash, which a caller cannot steer, and not on how much of a guessed token
// is right. No byte-by-byte comparison of secrets happens in Go.
func (db *DB) VerifyToken(ctx context.Context, token string) (*ent.User, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return nil, ErrInvalidToken
	}
	// One pgx query rather than ent's: verification runs on every authenticated request, and
	// ent's query building and database/sql scanning cost more than the query itself. The
	// password hash is not selected, because callers of VerifyToken have no use for it.
	u := &ent.User{}
	var live bool
	err := db.Pool.QueryRow(ctx, verifyTokenSQL, hash).Scan(&u.ID, &u.Name, &u.Email, &u.CreatedAt, &u.UpdatedAt, &live)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !live) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("verify auth token: %w", db.classify(err))
	}
	return db.Client.User.Attach(u), nil
}

// verifyTokenSQL finds the token through auth_tokens_token_hash_key and its user through the
// primary key, and excludes soft-deleted users as the ent interceptor does for ent's queries.
// Expiry is a selected column, not a condition: as a condition, the planner may scan
// auth_tokens_expires_at_idx instead when it expects few unexpired tokens.
const verifyTokenSQL = `SELECT u.id, u.name, u.email, u.created_at, u.updated_at, t.expires_at > now()
FROM auth_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND u.deleted_at IS NULL`

// RevokeToken deletes token. Revoking an unknown or already revoked token is not an error,
// so that sign-out can be repeated.
func (db *DB) RevokeToken(ctx context.Context, token string) error {
	hash, ok := tokenHash(token)
	if !ok {
		return nil
	}
	if _, err := db.Client.AuthToken.Delete().Where(authtoken.TokenHash(hash)).Exec(ctx); err != nil {
		return fmt.Errorf("revoke auth token: %w", db.classify(err))
	}
	return nil
}

// RevokeUserTokens deletes every token of the user (sign out everywhere) and returns how many
// it deleted.
func (db *DB) RevokeUserTokens(ctx context.Context, userID int64) (int, error) {
	n, err := db.Client.AuthToken.Delete().Where(authtoken.UserID(userID)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("revoke auth tokens of user %d: %w", userID, db.classify(err))
	}
	return n, nil
}

// purgeExpiredBatch deletes at most $1 expired tokens, oldest expiry first, through
// auth_tokens_expires_at_idx.
const purgeExpiredBatch = `DELETE FROM auth_tokens WHERE id IN (
	SELECT id FROM auth_tokens WHERE expires_at < now() ORDER BY expires_at LIMIT $1)`

// PurgeExpiredTokens deletes expired tokens in batches of at most batchSize rows (0 means
// DefaultPurgeBatch), each batch its own statement and transaction, so locks stay short and
// the work can stop at any batch when ctx is canceled. It returns how many it deleted.
func (db *DB) PurgeExpiredTokens(ctx context.Context, batchSize int) (int64, error) {
	if batchSize < 0 {
		return 0, fmt.Errorf("purge expired tokens: %w: batch size is %d; use a positive size, or 0 for %d",
			ErrInvalidConfig, batchSize, DefaultPurgeBatch)
	}
	if batchSize == 0 {
		batchSize = DefaultPurgeBatch
	}
	var total int64
	for {
		tag, err := db.Pool.Exec(ctx, purgeExpiredBatch, batchSize)
		if err != nil {
			return total, fmt.Errorf("purge expired tokens after %d deleted: %w", total, db.classify(err))
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batchSize) {
			break
		}
	}
	if total > 0 {
		db.log.Info("purged expired auth tokens", "count", total)
	}
	return total, nil
}

// tokenHash decodes token and returns the SHA-256 of its bytes, the value stored in
// token_hash. It reports false for anything IssueToken cannot have returned.
func tokenHash(token string) ([]byte, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, false
	}
	secret, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, false
	}
	sum := sha256.Sum256(secret)
	return sum[:], true
}
