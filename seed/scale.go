package seed

import (
	"fmt"
	"strings"
)

// Scale names accepted in Config.Scale.
const (
	ScaleDemo  = "demo"
	ScaleSmall = "small"
	ScaleLarge = "large"
)

// Counts is the number of rows per table. OrderItems follows from Orders (1 to 5 items per
// order, 3 on average), so it is an output, not an input.
type Counts struct {
	Users      int64 `json:"users"`
	Products   int64 `json:"products"`
	Orders     int64 `json:"orders"`
	OrderItems int64 `json:"order_items"`
	Tokens     int64 `json:"auth_tokens"`
}

// scaleUsers is the user count of each preset; the other tables follow from it by the ratios
// in deriveCounts.
var scaleUsers = map[string]int64{
	ScaleDemo:  10_000,
	ScaleSmall: 100_000,
	ScaleLarge: 1_000_000,
}

// Ratios between tables, the same at every scale: 3 orders and half a token per user, one
// product per 100 users between 10 and 10,000 products.
const (
	ordersPerUser   = 3
	usersPerToken   = 2
	usersPerProduct = 100
	minProducts     = 10
	maxProducts     = 10_000
)

// resolveCounts applies the scale preset, then the explicit counts that are positive. Counts
// left unset follow from the user count, so --users 5000 alone keeps realistic ratios.
func resolveCounts(cfg Config) (Counts, error) {
	scale := cfg.Scale
	if scale == "" {
		scale = ScaleDemo
	}
	users, ok := scaleUsers[scale]
	if !ok {
		return Counts{}, fmt.Errorf("%w: %q (expected one of %s)", ErrInvalidScale, cfg.Scale, scaleNames())
	}
	for name, n := range map[string]int{
		"users": cfg.Users, "products": cfg.Products, "orders": cfg.Orders, "tokens": cfg.Tokens,
	} {
		if n < 0 {
			return Counts{}, fmt.Errorf("%w: %s count %d is negative (use 0 for the scale's default)",
				ErrInvalidCount, name, n)
		}
	}
	if cfg.Users > 0 {
		users = int64(cfg.Users)
	}

	c := deriveCounts(users)
	if cfg.Products > 0 {
		c.Products = int64(cfg.Products)
	}
	if cfg.Orders > 0 {
		c.Orders = int64(cfg.Orders)
	}
	if cfg.Tokens > 0 {
		c.Tokens = int64(cfg.Tokens)
	}
	return c, nil
}

func deriveCounts(users int64) Counts {
	products := min(max(users/usersPerProduct, minProducts), maxProducts)
	return Counts{
		Users:    users,
		Products: products,
		Orders:   users * ordersPerUser,
		Tokens:   users / usersPerToken,
	}
}

func scaleNames() string {
	return strings.Join([]string{ScaleDemo, ScaleSmall, ScaleLarge}, ", ")
}
