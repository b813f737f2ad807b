package forge_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/ent"
	"github.com/forgedb/forge/ent/product"
)

func productCount(t *testing.T, db *forge.DB) int {
	t.Helper()
	n, err := db.Client.Product.Query().Count(context.Background())
	require.NoError(t, err)
	return n
}

func TestInTxCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)

	err := db.InTx(ctx, forge.TxOptions{}, func(tx *ent.Tx) error {
		return tx.Product.Create().SetName("Mug").SetPrice(mustDecimal("9.50")).Exec(ctx)
	})
	require.NoError(t, err)
	require.Equal(t, 1, productCount(t, db))
}

func TestInTxRollsBackOnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	errStop := errors.New("stop")

	err := db.InTx(ctx, forge.TxOptions{}, func(tx *ent.Tx) error {
		if err := tx.Product.Create().SetName("Mug").SetPrice(mustDecimal("9.50")).Exec(ctx); err != nil {
			return err
		}
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	require.Zero(t, productCount(t, db))
}

func TestInTxRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)

	require.PanicsWithValue(t, "boom", func() {
		_ = db.InTx(ctx, forge.TxOptions{}, func(tx *ent.Tx) error {
			if err := tx.Product.Create().SetName("Mug").SetPrice(mustDecimal("9.50")).Exec(ctx); err != nil {
				return err
			}
			panic("boom")
		})
	})
	require.Zero(t, productCount(t, db))
	// The rolled-back transaction's connection went back to the pool in a usable state.
	require.Zero(t, db.Stats().AcquiredConns())
}

func TestInTxIsolationLevel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)

	var level string
	err := db.InTx(ctx, forge.TxOptions{Isolation: sql.LevelSerializable, ReadOnly: true}, func(tx *ent.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT current_setting('transaction_isolation')")
		if err != nil {
			return err
		}
		defer rows.Close()
		rows.Next()
		return rows.Scan(&level)
	})
	require.NoError(t, err)
	require.Equal(t, "serializable", level)
}

func TestInTxRetriesSerializationFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	var calls atomic.Int32

	err := db.InTx(ctx, forge.TxOptions{Retries: 2}, func(tx *ent.Tx) error {
		if calls.Add(1) < 3 {
			return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int32(3), calls.Load())
}

func TestInTxRetriesAreBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	var calls atomic.Int32

	err := db.InTx(ctx, forge.TxOptions{Retries: 2}, func(tx *ent.Tx) error {
		calls.Add(1)
		return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	})
	require.True(t, forge.IsRetryable(err))
	require.Equal(t, int32(3), calls.Load())
}

func TestInTxNoRetryByDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	var calls atomic.Int32

	err := db.InTx(ctx, forge.TxOptions{}, func(tx *ent.Tx) error {
		calls.Add(1)
		return &pgconn.PgError{Code: "40001"}
	})
	require.Error(t, err)
	require.Equal(t, int32(1), calls.Load())
}

// TestInTxRetriesRealConflict makes two SERIALIZABLE transactions conflict for real: each
// reads the row the other updates. PostgreSQL aborts one with 40001, and the retry succeeds.
func TestInTxRetriesRealConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	first := createProduct(t, db, "First", "1.00")
	second := createProduct(t, db, "Second", "2.00")

	bothRead := make(chan struct{})
	var attempts atomic.Int32
	var arrived atomic.Int32
	run := func(readID, writeID int64) error {
		return db.InTx(ctx, forge.TxOptions{Isolation: sql.LevelSerializable, Retries: 5}, func(tx *ent.Tx) error {
			attempts.Add(1)
			p, err := tx.Product.Get(ctx, readID)
			if err != nil {
				return err
			}
			// Only the first attempts wait for each other, so that they overlap.
			if arrived.Add(1) == 2 {
				close(bothRead)
			}
			<-bothRead
			return tx.Product.Update().Where(product.ID(writeID)).SetPrice(p.Price.Add(mustDecimal("1"))).Exec(ctx)
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(first, second) }()
	go func() { errs <- run(second, first) }()
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	require.Greater(t, attempts.Load(), int32(2), "expected at least one retry after a serialization failure")
}
