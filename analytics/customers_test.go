package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/analytics"
	"github.com/forgedb/forge/internal/pgtest"
)

// expectedCustomer is a row of the report computed by hand from the fixture below.
type expectedCustomer struct {
	name      string
	orders    int64
	value     string
	lastOrder *time.Time
	tier      analytics.Tier
}

// reportFixture holds the users of seedReport by name, and the expected report in order.
type reportFixture struct {
	ids      map[string]int64
	expected []expectedCustomer
}

// seedReport builds a data set with the traps of a customer report. It has a user with no
// orders, an order with several items, two items of equal value in one order, and an order
// without items. Two users have equal lifetime values, two sit exactly on tier boundaries, one
// is soft-deleted, and one order is committed in its own transaction just before the report.
func seedReport(t *testing.T, db *pgtest.DB) reportFixture {
	t.Helper()
	f := newFixture(t, db.Pool)
	ids := map[string]int64{}
	since := day(2024, time.January, 1)

	ids["henry"] = f.user("Henry", day(2020, time.May, 1))
	henryLast := day(2024, time.February, 1)
	f.order(ids["henry"], henryLast, item{1, "2000.00"})

	ids["alice"] = f.user("Alice", since)
	f.order(ids["alice"], day(2024, time.March, 1), item{1, "50.00"}, item{1, "50.00"}, item{3, "100.00"})
	aliceLast := day(2024, time.March, 5)
	f.order(ids["alice"], aliceLast, item{2, "400.00"})

	ids["bob"] = f.user("Bob", day(2024, time.January, 2))
	bobLast := day(2024, time.April, 1)
	f.order(ids["bob"], bobLast, item{1, "1200.00"})

	ids["carol"] = f.user("Carol", day(2024, time.January, 3))

	ids["dave"] = f.user("Dave", day(2024, time.January, 4))
	f.order(ids["dave"], day(2024, time.April, 2), item{1, "5000.00"})
	f.softDelete(ids["dave"])

	ids["erin"] = f.user("Erin", day(2024, time.January, 5))
	f.order(ids["erin"], day(2024, time.May, 1), item{1, "100.00"})
	erinLast := day(2024, time.May, 2)
	f.order(ids["erin"], erinLast)

	ids["frank"] = f.user("Frank", day(2024, time.January, 6))
	frankLast := day(2024, time.June, 1)
	f.order(ids["frank"], frankLast, item{3, "33.37"})

	ids["grace"] = f.user("Grace", day(2024, time.January, 7))
	graceLast := day(2024, time.July, 1)
	tx, err := db.Pool.Begin(context.Background())
	require.NoError(t, err)
	insertOrder(t, tx, f.productID, ids["grace"], graceLast, item{1, "1000.01"})
	require.NoError(t, tx.Commit(context.Background()))

	return reportFixture{ids: ids, expected: []expectedCustomer{
		{"Henry", 1, "2000.00", &henryLast, analytics.TierVIP},
		{"Bob", 1, "1200.00", &bobLast, analytics.TierVIP},
		{"Alice", 2, "1200.00", &aliceLast, analytics.TierVIP},
		{"Grace", 1, "1000.01", &graceLast, analytics.TierVIP},
		{"Frank", 1, "100.11", &frankLast, analytics.TierRegular},
		{"Erin", 2, "100.00", &erinLast, analytics.TierNew},
		{"Carol", 0, "0", nil, analytics.TierNew},
	}}
}

func requireCustomers(t *testing.T, want []expectedCustomer, got []analytics.CustomerMetric) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		g := got[i]
		require.Equal(t, w.name, g.Name, "row %d", i)
		require.Equal(t, w.orders, g.TotalOrders, "orders of %s", w.name)
		require.True(t, money(w.value).Equal(g.LifetimeValue), "value of %s: want %s, got %s",
			w.name, w.value, g.LifetimeValue)
		require.Equal(t, w.tier, g.Tier, "tier of %s", w.name)
		if w.lastOrder == nil {
			require.Nil(t, g.LastOrderAt, "last order of %s", w.name)
		} else {
			require.NotNil(t, g.LastOrderAt, "last order of %s", w.name)
			require.True(t, w.lastOrder.Equal(*g.LastOrderAt), "last order of %s", w.name)
			require.Equal(t, time.UTC, g.LastOrderAt.Location(), "last order of %s", w.name)
		}
	}
}

func TestCustomerMetricsHandComputed(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)

	for name, query := range map[string]func(context.Context, analytics.Querier, analytics.CustomerParams) ([]analytics.CustomerMetric, error){
		"summary": analytics.CustomerMetrics,
		"plain":   analytics.PlainCustomerMetrics,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := query(context.Background(), db.Pool, analytics.CustomerParams{})
			require.NoError(t, err)
			requireCustomers(t, fx.expected, got)
		})
	}
}

func TestCustomerMetricsEqualsPlain(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedReport(t, db)
	ctx := context.Background()
	custom := analytics.Thresholds{VIP: money("1200.00"), Regular: money("100.00")}
	after := analytics.Cursor{LifetimeValue: money("1200.00"), UserID: 1 << 40}

	cases := map[string]analytics.CustomerParams{
		"default":        {},
		"since":          {Since: day(2024, time.January, 1)},
		"since excludes": {Since: day(2024, time.January, 4)},
		"tier VIP":       {Tier: analytics.TierVIP},
		"tier Regular":   {Tier: analytics.TierRegular},
		"tier New":       {Tier: analytics.TierNew},
		"thresholds":     {Thresholds: &custom, Tier: analytics.TierVIP},
		"limit":          {Limit: 2},
		"offset":         {Limit: 2, Offset: 2},
		"after":          {After: &after},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := analytics.PlainCustomerMetrics(ctx, db.Pool, p)
			require.NoError(t, err)
			got, err := analytics.CustomerMetrics(ctx, db.Pool, p)
			require.NoError(t, err)
			require.Equal(t, len(want), len(got))
			for i := range want {
				require.Equal(t, want[i].UserID, got[i].UserID, "row %d", i)
				require.True(t, want[i].LifetimeValue.Equal(got[i].LifetimeValue), "row %d", i)
				require.Equal(t, want[i].TotalOrders, got[i].TotalOrders, "row %d", i)
				require.Equal(t, want[i].LastOrderAt, got[i].LastOrderAt, "row %d", i)
				require.Equal(t, want[i].Tier, got[i].Tier, "row %d", i)
			}
		})
	}
}

func TestCustomerMetricsSinceFilter(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)

	got, err := analytics.CustomerMetrics(context.Background(), db.Pool,
		analytics.CustomerParams{Since: day(2024, time.January, 1)})
	require.NoError(t, err)
	requireCustomers(t, fx.expected[1:], got)
}

func TestCustomerMetricsTierFilter(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)

	got, err := analytics.CustomerMetrics(context.Background(), db.Pool,
		analytics.CustomerParams{Tier: analytics.TierRegular})
	require.NoError(t, err)
	requireCustomers(t, fx.expected[4:5], got)
}

func TestCustomerMetricsKeysetPaging(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)
	ctx := context.Background()

	var pages []analytics.CustomerMetric
	p := analytics.CustomerParams{Limit: 2}
	for range 10 {
		page, err := analytics.CustomerMetrics(ctx, db.Pool, p)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		pages = append(pages, page...)
		next := page[len(page)-1].Cursor()
		p.After = &next
	}
	requireCustomers(t, fx.expected, pages)
}

func TestCustomerMetricsOffsetPaging(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)

	got, err := analytics.CustomerMetrics(context.Background(), db.Pool,
		analytics.CustomerParams{Limit: 3, Offset: 2})
	require.NoError(t, err)
	requireCustomers(t, fx.expected[2:5], got)
}

func TestCustomerMetricsSeesCommittedOrder(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	fx := seedReport(t, db)
	ctx := context.Background()

	var productID int64
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT min(id) FROM products`).Scan(&productID))
	tx, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	insertOrder(t, tx, productID, fx.ids["carol"], day(2024, time.August, 1), item{1, "99.99"})
	require.NoError(t, tx.Commit(ctx))

	got, err := analytics.CustomerMetrics(ctx, db.Pool, analytics.CustomerParams{Tier: analytics.TierNew})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, fx.ids["erin"], got[0].UserID)
	require.Equal(t, fx.ids["carol"], got[1].UserID)
	require.True(t, money("99.99").Equal(got[1].LifetimeValue))
	require.Equal(t, int64(1), got[1].TotalOrders)
}

func TestCustomerMetricsRejectsInvalidParams(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	cases := map[string]analytics.CustomerParams{
		"negative limit":   {Limit: -1},
		"limit over max":   {Limit: analytics.MaxLimit + 1},
		"negative offset":  {Offset: -1},
		"unknown tier":     {Tier: "Gold"},
		"inverted tiers":   {Thresholds: &analytics.Thresholds{VIP: money("10"), Regular: money("20")}},
		"negative regular": {Thresholds: &analytics.Thresholds{VIP: money("10"), Regular: money("-1")}},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := analytics.CustomerMetrics(context.Background(), db.Pool, p)
			require.ErrorIs(t, err, analytics.ErrInvalidParameter)
		})
	}
}

func TestParseCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := analytics.Cursor{LifetimeValue: money("1234.50"), UserID: 42}
	parsed, err := analytics.ParseCursor(c.String())
	require.NoError(t, err)
	require.True(t, c.LifetimeValue.Equal(parsed.LifetimeValue))
	require.Equal(t, c.UserID, parsed.UserID)
}

func TestParseCursorRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "12", "x:1", "12:y", "12:"} {
		_, err := analytics.ParseCursor(s)
		require.ErrorIs(t, err, analytics.ErrInvalidParameter, "cursor %q", s)
	}
}

func TestTierSummaryHandComputed(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	seedReport(t, db)

	for name, query := range map[string]func(context.Context, analytics.Querier, analytics.TierParams) ([]analytics.TierTotal, error){
		"summary": analytics.TierSummary,
		"plain":   analytics.PlainTierSummary,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := query(context.Background(), db.Pool, analytics.TierParams{})
			require.NoError(t, err)
			require.Len(t, got, 3)
			require.Equal(t, analytics.TierVIP, got[0].Tier)
			require.Equal(t, int64(4), got[0].Customers)
			require.True(t, money("5400.01").Equal(got[0].Value), "VIP value %s", got[0].Value)
			require.Equal(t, analytics.TierRegular, got[1].Tier)
			require.Equal(t, int64(1), got[1].Customers)
			require.True(t, money("100.11").Equal(got[1].Value), "Regular value %s", got[1].Value)
			require.Equal(t, analytics.TierNew, got[2].Tier)
			require.Equal(t, int64(2), got[2].Customers)
			require.True(t, money("100.00").Equal(got[2].Value), "New value %s", got[2].Value)
		})
	}
}

func TestTierSummaryEmptyTiers(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)

	got, err := analytics.TierSummary(context.Background(), db.Pool, analytics.TierParams{})
	require.NoError(t, err)
	require.Len(t, got, 3)
	for _, total := range got {
		require.Zero(t, total.Customers, "customers of %s", total.Tier)
		require.True(t, total.Value.IsZero(), "value of %s", total.Tier)
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, seed := range []string{"1234.50:42", "0:1", "-1:-1", "1e3:7", ":", "x:y", "12:"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := analytics.ParseCursor(s)
		if err != nil {
			require.ErrorIs(t, err, analytics.ErrInvalidParameter)
			return
		}
		again, err := analytics.ParseCursor(c.String())
		require.NoError(t, err, "cursor %q printed as %q", s, c.String())
		require.True(t, c.LifetimeValue.Equal(again.LifetimeValue), "value of %q", s)
		require.Equal(t, c.UserID, again.UserID, "user id of %q", s)
	})
}
