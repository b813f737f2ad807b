package forge

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/forgedb/forge/ent"
)

// SQLSTATE codes that InTx retries when TxOptions.Retries allows.
const (
	sqlstateSerializationFailure = "40001"
	sqlstateDeadlockDetected     = "40P01"
)

// TxOptions configures InTx. The zero value runs once at READ COMMITTED.
type TxOptions struct {
	// Isolation is the isolation level. Zero means the server's default, READ COMMITTED
	// unless the server or the role is configured otherwise.
	Isolation sql.IsolationLevel
	// ReadOnly starts a READ ONLY transaction.
	ReadOnly bool
	// Retries is how many times fn runs again after a serialization failure (SQLSTATE 40001)
	// or a deadlock (40P01). fn must then be safe to run more than once: its effects outside
	// the transaction happen once per attempt.
	Retries int
}

// InTx runs fn in a transaction. It commits when fn returns nil and rolls back when fn returns
// an error. When fn panics, InTx rolls back and panics again with the same value. With
// opts.Retries > 0, InTx runs fn again after a serialization failure or a deadlock, in fn or
// at commit, up to opts.Retries times with a short random pause before each.
func (db *DB) InTx(ctx context.Context, opts TxOptions, fn func(tx *ent.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.runTx(ctx, opts, fn)
		if err == nil || attempt >= opts.Retries || !IsRetryable(err) {
			return err
		}
		pause := time.Duration(1+rand.IntN(10*(attempt+1))) * time.Millisecond
		db.log.Debug("retrying transaction", "attempt", attempt+1, "max_retries", opts.Retries,
			"pause", pause, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func (db *DB) runTx(ctx context.Context, opts TxOptions, fn func(tx *ent.Tx) error) (err error) {
	tx, err := db.Client.BeginTx(ctx, &sql.TxOptions{Isolation: opts.Isolation, ReadOnly: opts.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin transaction: %w", db.classify(err))
	}
	defer func() {
		if p := recover(); p != nil {
			if rbErr := tx.Rollback(); rbErr != nil {
				db.log.Error("failed to roll back after panic", "err", db.redact(rbErr.Error()))
			}
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			db.log.Warn("failed to roll back after error", "err", db.redact(rbErr.Error()))
		}
		return db.classify(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", db.classify(err))
	}
	return nil
}

// IsRetryable reports whether err is a serialization failure or a deadlock, after which the
// whole transaction may succeed when run again.
func IsRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == sqlstateSerializationFailure || pgErr.Code == sqlstateDeadlockDetected
}

// IsUnavailable reports whether err comes from a server that cannot be reached, refused the
// connection, or closed it (a restart or shutdown). Such calls may succeed later on the same
// DB: the pool replaces broken connections.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	// A server error decides alone: a connection refused for a wrong password is not an
	// outage, although it arrives as a ConnectError.
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection exception and class 53 insufficient resources (such as
		// too_many_connections). 57P01, 57P02 and 57P03 are admin shutdown, crash shutdown
		// and "the database system is starting up or shutting down".
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr)
}

// classify marks errors of an unreachable server with ErrUnavailable, keeping the original
// error for errors.As, and removes the password from the text.
func (db *DB) classify(err error) error {
	if err == nil || !IsUnavailable(err) || errors.Is(err, ErrUnavailable) {
		return err
	}
	return &unavailableWrap{text: db.redact(err.Error()), err: err}
}

type unavailableWrap struct {
	text string
	err  error
}

func (e *unavailableWrap) Error() string {
	return fmt.Sprintf("%v: %s", ErrUnavailable, e.text)
}
func (e *unavailableWrap) Unwrap() []error { return []error{ErrUnavailable, e.err} }
