// Package forge is the data layer that services embed. Open returns Forge's ent client on a
// pgx connection pool. DB adds a transaction helper and the store's domain operations: placing
// orders, users and passwords, and auth tokens.
//
// Users are deleted softly: a delete through the client sets deleted_at and revokes the
// user's tokens, and queries skip deleted users unless their context comes from
// IncludeDeleted. HardDeleteUser removes the row.
//
// The package never prints. It returns typed errors and logs only to the *slog.Logger in
// Config, and no error or log line contains a password, a token or a hash.
package forge

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/forgedb/forge/ent"
	// The schema's soft-delete hook imports the generated client, so ent keeps its defaults,
	// hooks and interceptors in this package, and every program that uses the client needs it.
	_ "github.com/forgedb/forge/ent/runtime"
	"github.com/forgedb/forge/ent/schema"
)

// DB is an open database: Forge's ent client and the pgx pool under it.
type DB struct {
	// Client is the ent client. Its queries skip soft-deleted users.
	Client *ent.Client
	// Pool is the pgx pool the client runs on, for queries written in SQL (such as the
	// analytics package's reports).
	Pool *pgxpool.Pool

	sqlDB          *sql.DB
	log            *slog.Logger
	connectTimeout time.Duration
	passwords      PasswordParams
	redact         func(string) string
}

// Stats returns the pool's statistics: connections open, idle and in use, and waits.
func (db *DB) Stats() *pgxpool.Stat { return db.Pool.Stat() }

// Ping checks that the server responds. Without a deadline in ctx, it waits at most the
// configured connect timeout.
func (db *DB) Ping(ctx context.Context) error {
	return db.ping(ctx, "ping")
}

func (db *DB) ping(ctx context.Context, op string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, db.connectTimeout)
		defer cancel()
	}
	if err := db.Pool.Ping(ctx); err != nil {
		return db.connectError(op, err)
	}
	return nil
}

// Close closes the ent client and the pool. It waits for connections in use to be returned.
func (db *DB) Close() error {
	err := db.Client.Close()
	db.Pool.Close()
	return err
}

// IncludeDeleted returns a context in which queries through the client also return
// soft-deleted users.
func IncludeDeleted(ctx context.Context) context.Context {
	return schema.IncludeDeleted(ctx)
}

// Errors that callers branch on. An error returned by this package that matches one of them
// also names the rejected value.
var (
	// ErrInvalidConfig means the database URL or another Config field is invalid.
	ErrInvalidConfig = errors.New("invalid database configuration")
	// ErrUnavailable means the server could not be reached, refused the connection or
	// went away; retrying later may succeed.
	ErrUnavailable = errors.New("database unavailable")
	// ErrUserNotFound means no user has the given id or email.
	ErrUserNotFound = errors.New("user not found")
	// ErrUserDeleted means the user exists but was soft-deleted.
	ErrUserDeleted = errors.New("user is deleted")
	// ErrUserHasOrders means a hard delete was rejected because orders refer to the user.
	ErrUserHasOrders = errors.New("user has orders")
	// ErrEmailTaken means an active user already has the email.
	ErrEmailTaken = errors.New("email is already in use")
	// ErrInvalidCredentials means the email or the password is wrong. It does not say which.
	ErrInvalidCredentials = errors.New("invalid email or password")
	// ErrInvalidToken means the token is malformed, unknown, expired, revoked, or belongs to
	// a deleted user. It does not say which.
	ErrInvalidToken = errors.New("invalid auth token")
	// ErrEmptyOrder means an order has no items.
	ErrEmptyOrder = errors.New("order has no items")
	// ErrInvalidQuantity means an item's quantity is zero or negative.
	ErrInvalidQuantity = errors.New("invalid quantity")
	// ErrProductNotFound means an item refers to a product that does not exist.
	ErrProductNotFound = errors.New("product not found")
)
