package migrate_test

import (
	"context"
	"testing"

	"github.com/forgedb/forge/internal/pgtest"
	"github.com/forgedb/forge/migrate"
)

// BenchmarkUpFromEmpty measures applying every embedded migration to an empty database, lock
// and checksum verification included. Creating the database is not timed.
func BenchmarkUpFromEmpty(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db := pgtest.NewEmpty(b)
		m, err := migrate.New(db.Pool, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := m.Up(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusUpToDate measures `status` on a database with every version applied.
func BenchmarkStatusUpToDate(b *testing.B) {
	ctx := context.Background()
	db := pgtest.New(b)
	m, err := migrate.New(db.Pool, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpToDateRun measures `up` with nothing pending: what every replica pays at start-up.
func BenchmarkUpToDateRun(b *testing.B) {
	ctx := context.Background()
	db := pgtest.New(b)
	m, err := migrate.New(db.Pool, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.Up(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownToZero measures reverting every version of a migrated, empty database.
func BenchmarkDownToZero(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db := pgtest.New(b)
		m, err := migrate.New(db.Pool, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := m.Down(ctx, migrate.DownOptions{To: "0"}); err != nil {
			b.Fatal(err)
		}
	}
}
