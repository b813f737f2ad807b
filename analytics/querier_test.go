package analytics_test

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/forgedb/forge/analytics"
)

// The report functions accept a pool, a single connection or a transaction.
var (
	_ analytics.Querier = (*pgxpool.Pool)(nil)
	_ analytics.Querier = (*pgx.Conn)(nil)
	_ analytics.Querier = pgx.Tx(nil)
)
