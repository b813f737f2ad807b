package analytics

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// Tier is a customer's band by lifetime value.
type Tier string

// The tiers from highest to lowest.
const (
	TierVIP     Tier = "VIP"
	TierRegular Tier = "Regular"
	TierNew     Tier = "New"
)

// Tiers lists every tier from highest to lowest.
var Tiers = []Tier{TierVIP, TierRegular, TierNew}

// ParseTier returns the tier named s, compared case-insensitively.
func ParseTier(s string) (Tier, error) {
	for _, t := range Tiers {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w: tier %q is not one of VIP, Regular, New", ErrInvalidParameter, s)
}

// Thresholds are the lifetime values a customer must exceed to reach a tier: above VIP is
// VIP, above Regular (up to VIP) is Regular, and anything else is New.
type Thresholds struct {
	VIP     decimal.Decimal
	Regular decimal.Decimal
}

// DefaultThresholds returns VIP above 1000 and Regular above 100.
func DefaultThresholds() Thresholds {
	return Thresholds{VIP: decimal.NewFromInt(1000), Regular: decimal.NewFromInt(100)}
}

// TierOf returns the tier of a lifetime value.
func (t Thresholds) TierOf(value decimal.Decimal) Tier {
	switch {
	case value.GreaterThan(t.VIP):
		return TierVIP
	case value.GreaterThan(t.Regular):
		return TierRegular
	default:
		return TierNew
	}
}

func (t Thresholds) validate() error {
	if t.Regular.IsNegative() {
		return fmt.Errorf("%w: Regular threshold %s is negative", ErrInvalidParameter, t.Regular)
	}
	if !t.VIP.GreaterThan(t.Regular) {
		return fmt.Errorf("%w: VIP threshold %s must be greater than the Regular threshold %s",
			ErrInvalidParameter, t.VIP, t.Regular)
	}
	return nil
}

// bounds returns the lifetime-value range of a tier: value > lower and value <= upper, where
// a nil bound is open.
func (t Thresholds) bounds(tier Tier) (lower, upper *decimal.Decimal) {
	switch tier {
	case TierVIP:
		return &t.VIP, nil
	case TierRegular:
		return &t.Regular, &t.VIP
	case TierNew:
		return nil, &t.Regular
	}
	return nil, nil
}

// ErrInvalidParameter is wrapped by every error about a parameter a caller passed.
var ErrInvalidParameter = errors.New("invalid parameter")

// Page sizes of the customer report.
const (
	DefaultLimit = 20
	MaxLimit     = 10_000
)

// CustomerParams selects a page of the customer report. The zero value is the first page of
// all active customers with the default thresholds.
type CustomerParams struct {
	// Since keeps users who signed up at or after it. Zero keeps all.
	Since time.Time
	// Tier keeps one tier. Empty keeps all.
	Tier Tier
	// Thresholds defines the tiers. Nil means DefaultThresholds.
	Thresholds *Thresholds
	// Limit is the page size: 0 means DefaultLimit, and at most MaxLimit.
	Limit int
	// Offset skips rows. It is accepted for compatibility, but After is faster on deep pages
	// and does not shift when rows are inserted between pages.
	Offset int
	// After starts the page after this row of the previous page (keyset paging).
	After *Cursor
}

// Cursor is the position of a row in the report's order: lifetime value descending, then
// user id descending.
type Cursor struct {
	LifetimeValue decimal.Decimal
	UserID        int64
}

// String encodes the cursor as VALUE:USER_ID, the form ParseCursor reads.
func (c Cursor) String() string {
	return c.LifetimeValue.String() + ":" + strconv.FormatInt(c.UserID, 10)
}

// ParseCursor reads a cursor in the VALUE:USER_ID form that Cursor.String writes.
func ParseCursor(s string) (Cursor, error) {
	value, id, ok := strings.Cut(s, ":")
	if !ok {
		return Cursor{}, fmt.Errorf("%w: cursor %q is not VALUE:USER_ID", ErrInvalidParameter, s)
	}
	amount, err := decimal.NewFromString(value)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: cursor %q has an invalid value: %v", ErrInvalidParameter, s, err)
	}
	userID, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: cursor %q has an invalid user id: %v", ErrInvalidParameter, s, err)
	}
	return Cursor{LifetimeValue: amount, UserID: userID}, nil
}

// CustomerMetric is one active customer's row of the report.
type CustomerMetric struct {
	UserID        int64           `json:"user_id"`
	Name          string          `json:"name"`
	Email         string          `json:"email"`
	SignedUpAt    time.Time       `json:"signed_up_at"`
	TotalOrders   int64           `json:"total_orders"`
	LifetimeValue decimal.Decimal `json:"lifetime_value"`
	LastOrderAt   *time.Time      `json:"last_order_at"`
	Tier          Tier            `json:"tier"`
}

// Cursor returns the position to pass as CustomerParams.After for the next page.
func (m CustomerMetric) Cursor() Cursor {
	return Cursor{LifetimeValue: m.LifetimeValue, UserID: m.UserID}
}

// CustomerMetrics returns one page of active customers, highest lifetime value first. The
// lifetime value is the exact sum of quantity x unit_price over the customer's order items,
// and customers without orders appear with zero in the lowest tier.
func CustomerMetrics(ctx context.Context, db Querier, p CustomerParams) ([]CustomerMetric, error) {
	return queryCustomers(ctx, db, "customers.sql", p)
}

// PlainCustomerMetrics computes the same rows as CustomerMetrics with the straightforward
// query: users joined to orders and order items, grouped per user, on every call. It exists
// to check and measure CustomerMetrics against.
func PlainCustomerMetrics(ctx context.Context, db Querier, p CustomerParams) ([]CustomerMetric, error) {
	return queryCustomers(ctx, db, "customers_plain.sql", p)
}

// customerFilters selects the optional fragments of the customer queries.
type customerFilters struct {
	Since, After, Lower, Upper bool
}

func queryCustomers(ctx context.Context, db Querier, name string, p CustomerParams) ([]CustomerMetric, error) {
	args, filters, thresholds, err := customerArgs(p)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, renderSQL(name, filters), args)
	if err != nil {
		return nil, fmt.Errorf("query customer metrics: %w", err)
	}
	metrics, err := pgx.CollectRows(rows, scanCustomer)
	if err != nil {
		return nil, fmt.Errorf("read customer metrics: %w", err)
	}
	for i := range metrics {
		metrics[i].Tier = thresholds.TierOf(metrics[i].LifetimeValue)
	}
	return metrics, nil
}

func customerArgs(p CustomerParams) (pgx.NamedArgs, customerFilters, Thresholds, error) {
	var filters customerFilters
	thresholds := DefaultThresholds()
	if p.Thresholds != nil {
		thresholds = *p.Thresholds
	}
	if err := thresholds.validate(); err != nil {
		return nil, filters, thresholds, err
	}

	limit := p.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 || limit > MaxLimit {
		return nil, filters, thresholds, fmt.Errorf("%w: limit %d is outside 1..%d", ErrInvalidParameter, limit, MaxLimit)
	}
	if p.Offset < 0 {
		return nil, filters, thresholds, fmt.Errorf("%w: offset %d is negative", ErrInvalidParameter, p.Offset)
	}

	args := pgx.NamedArgs{"limit": limit, "offset": p.Offset}
	if !p.Since.IsZero() {
		filters.Since = true
		args["since"] = p.Since
	}
	if p.After != nil {
		filters.After = true
		args["after_value"] = p.After.LifetimeValue
		args["after_id"] = p.After.UserID
	}

	if p.Tier != "" {
		if _, err := ParseTier(string(p.Tier)); err != nil {
			return nil, filters, thresholds, err
		}
		lower, upper := thresholds.bounds(p.Tier)
		if lower != nil {
			filters.Lower = true
			args["lower"] = *lower
		}
		if upper != nil {
			filters.Upper = true
			args["upper"] = *upper
		}
	}
	return args, filters, thresholds, nil
}

func scanCustomer(row pgx.CollectableRow) (CustomerMetric, error) {
	var (
		m          CustomerMetric
		value      pgtype.Numeric
		signedUpAt time.Time
		lastOrder  pgtype.Timestamptz
	)
	err := row.Scan(&m.UserID, &m.Name, &m.Email, &signedUpAt, &m.TotalOrders, &value, &lastOrder)
	if err != nil {
		return m, err
	}
	m.SignedUpAt = signedUpAt.UTC()
	m.LastOrderAt = utcTime(lastOrder)
	m.LifetimeValue, err = decimalFromNumeric(value)
	if err != nil {
		return m, fmt.Errorf("lifetime value of user %d: %w", m.UserID, err)
	}
	return m, nil
}
