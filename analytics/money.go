package analytics

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// decimalFromNumeric converts a scanned numeric exactly. SQL NULL becomes zero because every
// sum this package reads is wrapped in coalesce. NaN and infinity have no decimal form.
func decimalFromNumeric(n pgtype.Numeric) (decimal.Decimal, error) {
	if !n.Valid {
		return decimal.Zero, nil
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		return decimal.Zero, fmt.Errorf("numeric value is NaN or infinite: not a money amount")
	}
	return decimal.NewFromBigInt(n.Int, n.Exp), nil
}

// utcTime returns t in UTC, or nil when the column was NULL.
func utcTime(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	utc := t.Time.UTC()
	return &utc
}
