package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// TierParams selects the customers the tier summary counts. The zero value counts all
// active customers with the default thresholds.
type TierParams struct {
	// Since keeps users who signed up at or after it. Zero keeps all.
	Since time.Time
	// Thresholds defines the tiers. Nil means DefaultThresholds.
	Thresholds *Thresholds
}

// TierTotal is the number of active customers in a tier and the sum of their lifetime values.
type TierTotal struct {
	Tier      Tier            `json:"tier"`
	Customers int64           `json:"customers"`
	Value     decimal.Decimal `json:"value"`
}

// TierSummary returns one row per tier, highest first, including tiers with no customers.
func TierSummary(ctx context.Context, db Querier, p TierParams) ([]TierTotal, error) {
	return queryTiers(ctx, db, "tiers.sql", p)
}

// PlainTierSummary computes the same rows as TierSummary with the straightforward join of
// users, orders and order items.
func PlainTierSummary(ctx context.Context, db Querier, p TierParams) ([]TierTotal, error) {
	return queryTiers(ctx, db, "tiers_plain.sql", p)
}

func queryTiers(ctx context.Context, db Querier, name string, p TierParams) ([]TierTotal, error) {
	thresholds := DefaultThresholds()
	if p.Thresholds != nil {
		thresholds = *p.Thresholds
	}
	if err := thresholds.validate(); err != nil {
		return nil, err
	}

	args := pgx.NamedArgs{"vip": thresholds.VIP, "regular": thresholds.Regular}
	filters := customerFilters{}
	if !p.Since.IsZero() {
		filters.Since = true
		args["since"] = p.Since
	}
	rows, err := db.Query(ctx, renderSQL(name, filters), args)
	if err != nil {
		return nil, fmt.Errorf("query tier summary: %w", err)
	}

	byTier := map[Tier]TierTotal{}
	var (
		tier      string
		customers int64
		value     pgtype.Numeric
	)
	_, err = pgx.ForEachRow(rows, []any{&tier, &customers, &value}, func() error {
		amount, err := decimalFromNumeric(value)
		if err != nil {
			return fmt.Errorf("value of tier %s: %w", tier, err)
		}
		byTier[Tier(tier)] = TierTotal{Tier: Tier(tier), Customers: customers, Value: amount}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tier summary: %w", err)
	}

	totals := make([]TierTotal, 0, len(Tiers))
	for _, t := range Tiers {
		total, ok := byTier[t]
		if !ok {
			total = TierTotal{Tier: t, Value: decimal.Zero}
		}
		totals = append(totals, total)
	}
	return totals, nil
}
