// Package seed fills Forge's tables with realistic data that is the same for the same seed
// on any machine, on any day and at any worker count.
//
// # Determinism
//
// Every row is derived from the seed, its table and its id alone: each row resets a
// SplitMix64 stream keyed by those three values, and gofakeit v6 draws names from that
// stream. Workers generate chunks of rows in any order while one connection streams them, in
// id order, into one COPY per table, so the bytes sent never depend on the worker count. Times
// are measured back from ReferenceTime, never from the clock. Equal Seed, counts and
// FormatVersion give byte-identical tables, and Report.Checksum identifies them.
//
// # The data
//
//   - users: signups spread over the three years before ReferenceTime, denser towards the
//     end, with created_at rising with the id as identity values do. Emails are
//     first.last<id>@example.com (or .net, .org), lower case and unique by construction.
//     2% are soft-deleted. Every user's password is DemoPassword.
//   - products: one per 100 users (10 to 10,000), log-uniform prices from 2 to 500 ending in
//     .99, .95, .89, .50, .49 or .00.
//   - orders: 3 per user on average, drawn from 70% of the users with a shifted cubic skew, so
//     about 36% of users have no order and the top 1% place about 15% of orders. Times fall
//     between the user's signup and deletion (or ReferenceTime), weighted by weekday, month
//     and hour.
//   - order_items: 1 to 5 per order (3 on average), products drawn with a square skew,
//     quantity 1 in 70% of items, unit_price equal to the product's price.
//   - auth_tokens: one per 2 users, issued to active users in the last 60 days and valid for
//     30, so about half have expired at ReferenceTime. Only the SHA-256 hash is stored.
//   - customer_stats, when the table exists: each user's order count, lifetime value and
//     last order, summed while the orders are generated, equal to what
//     customer_stats_rebuild() computes.
//
// # Safety
//
// The load is one transaction: an error, a cancelled context, a killed process or a lost
// connection leaves the database as it was. Run rejects a database that is not reached
// through a Unix socket or a loopback address unless Config.AllowRemote is set, and a data
// table with rows unless Config.Reset is set. The migration history is never touched.
//
// # Speed
//
// The load drops the indexes, primary keys and foreign keys of the data tables, and COPYs
// with FREEZE into the tables it truncated in the same transaction. It then recreates every
// index and constraint from its catalog definition, so the schema afterwards is exactly the
// migrated one. The triggers that maintain customer_stats are disabled during the load,
// because the seeder writes that table itself. Identity sequences are then moved past the
// highest id and the tables analyzed.
package seed
