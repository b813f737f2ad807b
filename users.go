package forge

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/ent/schema"
	"github.com/forgedb/forge/ent/user"
)

// NewUser is the input of CreateUser.
type NewUser struct {
	Name string
	// Email is stored normalized (trimmed and lower case, see schema.NormalizeEmail).
	Email string
	// Password is hashed with argon2id; only the hash is stored.
	Password string
}

// CreateUser stores a new active user with a hashed password. It returns ErrEmailTaken when
// an active user already has the normalized email.
func (db *DB) CreateUser(ctx context.Context, u NewUser) (*ent.User, error) {
	hash, err := HashPassword(u.Password, db.passwords)
	if err != nil {
		return nil, err
	}
	email := schema.NormalizeEmail(u.Email)
	created, err := db.Client.User.Create().
		SetName(u.Name).
		SetEmail(email).
		SetPasswordHash(hash).
		Save(ctx)
	if err != nil {
		if isUniqueViolation(err, "users_email_active_key") {
			return nil, fmt.Errorf("create user %q: %w; sign in instead, or delete the other user first",
				email, ErrEmailTaken)
		}
		return nil, fmt.Errorf("create user %q: %w", email, db.classify(err))
	}
	return created, nil
}

// Authenticate returns the active user with email when password matches its hash, and
// ErrInvalidCredentials otherwise. When the hash was made with other parameters than the
// configured ones, it stores a new hash of the password.
func (db *DB) Authenticate(ctx context.Context, email, password string) (*ent.User, error) {
	email = schema.NormalizeEmail(email)
	u, err := db.Client.User.Query().Where(user.Email(email)).Only(ctx)
	if ent.IsNotFound(err) {
		// Hash anyway, so the response time does not tell whether the email exists.
		_, _ = VerifyPassword(dummyPasswordHash(db.passwords), password)
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate %q: %w", email, db.classify(err))
	}
	ok, err := VerifyPassword(u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("authenticate %q: stored hash of user %d: %w", email, u.ID, err)
	}
	if !ok {
		return nil, ErrInvalidCredentials
	}
	if PasswordNeedsRehash(u.PasswordHash, db.passwords) {
		db.rehash(ctx, u, password)
	}
	return u, nil
}

// rehash stores a hash of password with the configured parameters. A failure is logged and
// not returned, because the sign-in itself succeeded and the next one tries again.
func (db *DB) rehash(ctx context.Context, u *ent.User, password string) {
	hash, err := HashPassword(password, db.passwords)
	if err == nil {
		// The condition on the old hash keeps a password changed meanwhile from being undone.
		var n int
		n, err = db.Client.User.Update().
			Where(user.ID(u.ID), user.PasswordHash(u.PasswordHash)).
			SetPasswordHash(hash).
			Save(ctx)
		if err == nil && n == 1 {
			u.PasswordHash = hash
			db.log.Info("rehashed password with new parameters", "user_id", u.ID)
			return
		}
	}
	if err != nil {
		db.log.Warn("failed to rehash password", "user_id", u.ID, "err", db.redact(err.Error()))
	}
}

var dummyHashes sync.Map // PasswordParams -> string

// dummyPasswordHash returns a fixed hash made with params, for verifying against when the
// user does not exist.
func dummyPasswordHash(params PasswordParams) string {
	if h, ok := dummyHashes.Load(params); ok {
		return h.(string)
	}
	h, _ := HashPassword("not a password", params)
	dummyHashes.Store(params, h)
	return h
}

// DeleteUser soft-deletes the user: it sets deleted_at and revokes the user's auth tokens in
// one transaction. Orders keep their owner. It returns ErrUserNotFound when no active user
// has the id.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	err := db.Client.User.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return fmt.Errorf("delete user %d: %w", id, ErrUserNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, db.classify(err))
	}
	return nil
}

// HardDeleteUser removes the user's row, active or soft-deleted, and with it the user's auth
// tokens. It returns ErrUserHasOrders when orders refer to the user, because orders keep
// their owner (ON DELETE RESTRICT).
func (db *DB) HardDeleteUser(ctx context.Context, id int64) error {
	err := db.Client.User.DeleteOneID(id).Exec(schema.HardDelete(ctx))
	switch {
	case ent.IsNotFound(err):
		return fmt.Errorf("hard delete user %d: %w", id, ErrUserNotFound)
	case isForeignKeyViolation(err, "orders_users_orders"):
		return fmt.Errorf("hard delete user %d: %w; soft-delete the user with DeleteUser instead",
			id, ErrUserHasOrders)
	case err != nil:
		return fmt.Errorf("hard delete user %d: %w", id, db.classify(err))
	}
	return nil
}

// activeUser returns nil when the user exists and is not deleted, and otherwise
// ErrUserNotFound or ErrUserDeleted.
func activeUser(ctx context.Context, client *ent.Client, id int64) error {
	exists, err := client.User.Query().Where(user.ID(id)).Exist(ctx)
	if err != nil || exists {
		return err
	}
	deleted, err := client.User.Query().Where(user.ID(id)).Exist(IncludeDeleted(ctx))
	if err != nil {
		return err
	}
	if deleted {
		return fmt.Errorf("user %d: %w", id, ErrUserDeleted)
	}
	return fmt.Errorf("user %d: %w", id, ErrUserNotFound)
}

func isUniqueViolation(err error, constraint string) bool {
	return hasSQLState(err, "23505", constraint)
}

func isForeignKeyViolation(err error, constraint string) bool {
	return hasSQLState(err, "23503", constraint)
}

func hasSQLState(err error, code, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code && pgErr.ConstraintName == constraint
}
