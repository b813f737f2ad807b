package seed

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// ReferenceTime is the instant the generated history ends: the "now" of the data. It is a
// constant, never the clock, so the same seed gives the same rows on any day.
var ReferenceTime = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// DemoPassword is the password of every seeded user. A password hash is slow by design, so
// hashing one per row would dominate the load. Every user shares DemoPasswordHash instead, a
// hash of this password computed once; a test checks that the two match.
const DemoPassword = "forge-demo-password"

// DemoPasswordHash is DemoPassword hashed with argon2id at Forge's default parameters (19 MiB,
// 2 iterations, 1 lane) and a fixed 16-byte salt, in the PHC string format that
// forge.VerifyPassword reads, so seeded users can sign in with DemoPassword.
const DemoPasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$Zm9yZ2Utc2VlZC1zYWx0MQ$" +
	"Q0/r2HHUAP34KZR9SNOaKnY6HSAAAiDDp3uXb/QDV7E"

// History and behaviour of the generated shop.
const (
	signupYears       = 3                   // users signed up over the 3 years before ReferenceTime
	deletedShare      = 0.02                // share of users who are soft-deleted
	buyerShare        = 0.7                 // share of users who can place orders at all
	orderSkewShift    = 0.12                // see buyerRank
	productSkew       = 2                   // product rank = products * u^productSkew
	tokenWindow       = 60 * 24 * time.Hour // tokens were issued during the last 60 days
	tokenLifetime     = 30 * 24 * time.Hour // and expire 30 days after issue
	maxRhythmAttempts = 16
)

// emailDomains are reserved for documentation (RFC 2606), so no seeded address can reach a
// real mailbox.
var emailDomains = []string{"example.com", "example.net", "example.org"}

// itemCountWeights and quantityWeights are the chances, in percent, of 1, 2, 3, 4 and 5 items
// per order (3 on average) and of a quantity of 1 to 5 per item.
var (
	itemCountWeights = [5]int{15, 20, 30, 20, 15}
	quantityWeights  = [5]int{70, 18, 7, 3, 2}
)

// Order-time rhythm: relative weights by weekday (Sunday first), month and hour of day in UTC.
// An order time is drawn uniformly and kept with probability weekday*month*hour.
var (
	weekdayWeight = [7]float64{1.0, 0.8, 0.75, 0.75, 0.8, 0.85, 0.95}
	monthWeight   = [12]float64{0.7, 0.65, 0.7, 0.7, 0.72, 0.7, 0.72, 0.75, 0.72, 0.78, 1.0, 0.95}
	hourWeight    = [24]float64{
		0.25, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.45, 0.6, 0.7, 0.75, 0.8,
		0.85, 0.8, 0.75, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 0.95, 0.7, 0.45,
	}
)

// world holds what every generator needs to derive a row from its id alone.
type world struct {
	seed   int64
	counts Counts

	signupStart time.Time
	signupSpan  float64 // seconds

	buyers   int64 // number of users who may place orders, mapped to user ids by users
	users    permutation
	products permutation

	totals *userTotals // nil unless customer_stats is generated
}

func newWorld(seed int64, counts Counts) *world {
	start := ReferenceTime.AddDate(-signupYears, 0, 0)
	return &world{
		seed:        seed,
		counts:      counts,
		signupStart: start,
		signupSpan:  ReferenceTime.Sub(start).Seconds(),
		buyers:      max(1, int64(math.Ceil(float64(counts.Users)*buyerShare))),
		users:       newPermutation(seed, counts.Users),
		products:    newPermutation(seed+1, counts.Products),
	}
}

// permutation maps ranks 0..n-1 onto ids 1..n with an affine map modulo n, so the busiest
// buyers and best-selling products are spread over the id range instead of being the
// lowest ids.
type permutation struct{ n, a, c int64 }

func newPermutation(seed int64, n int64) permutation {
	if n <= 1 {
		return permutation{n: max(n, 1), a: 1}
	}
	h := mix(uint64(seed) ^ saltPermutation)
	a := int64(h%uint64(n-1)) + 1
	for gcd(a, n) != 1 {
		a = a%(n-1) + 1
	}
	return permutation{n: n, a: a, c: int64(mix(h) % uint64(n))}
}

func (p permutation) id(rank int64) int64 {
	hi, lo := bits.Mul64(uint64(rank), uint64(p.a))
	_, r := bits.Div64(hi, lo, uint64(p.n)) // hi < n because rank and a are below n
	return int64((r+uint64(p.c))%uint64(p.n)) + 1
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// user facts needed by other tables, derived from the user id alone.
type userFacts struct {
	created time.Time
	deleted time.Time // zero when the user is active
}

// end is the last instant at which the user could act: deletion or the reference time.
func (u userFacts) end() time.Time {
	if u.deleted.IsZero() {
		return ReferenceTime
	}
	return u.deleted
}

// userFactsOf derives signup and deletion. Signup times grow with the id and get denser
// towards ReferenceTime (a growing shop), like identity values assigned at signup. User 1 is
// never deleted, so tokens always have an active owner.
func (w *world) userFactsOf(id int64) userFacts {
	key := rowKey(w.seed, saltUser, id)
	jitter := unit(mix(key + 1))
	x := (float64(id-1) + jitter) / float64(w.counts.Users)
	created := w.signupStart.Add(time.Duration(math.Sqrt(x) * w.signupSpan * float64(time.Second)))
	created = created.Truncate(time.Second)

	f := userFacts{created: created}
	if id != 1 && unit(mix(key+2)) < deletedShare {
		f.deleted = between(created, ReferenceTime, unit(mix(key+3)))
	}
	return f
}

// productPriceCents derives a price from the product id alone, so order items can copy it.
// Prices are log-uniform between 2 and 500 with the endings shops use.
func (w *world) productPriceCents(id int64) int64 {
	key := rowKey(w.seed, saltProduct, id)
	dollars := int64(math.Exp(math.Log(2) + unit(mix(key+1))*math.Log(250)))
	endings := [...]int64{99, 99, 99, 95, 49, 0, 50, 89}
	return dollars*100 + endings[mix(key+2)%uint64(len(endings))]
}

// itemCount derives the number of items of an order from its id alone, so the first item id
// of every chunk of orders can be computed without generating the orders before it.
func (w *world) itemCount(orderID int64) int64 {
	return int64(weighted(itemCountWeights[:], mix(rowKey(w.seed, saltItemCount, orderID)))) + 1
}

type userRow struct {
	id               int64
	name, email      string
	created, updated time.Time
	deleted          time.Time // zero when active
}

func (w *world) user(r *rowRand, id int64) userRow {
	facts := w.userFactsOf(id)
	r.reset(rowKey(w.seed, saltUser, id) ^ 0x5bd1e995)
	first, last := r.faker.FirstName(), r.faker.LastName()

	updated := facts.deleted
	if updated.IsZero() {
		updated = between(facts.created, ReferenceTime, r.float()*r.float())
	}
	return userRow{
		id:      id,
		name:    first + " " + last,
		email:   emailAddress(first, last, id, emailDomains[r.intn(int64(len(emailDomains)))]),
		created: facts.created,
		updated: updated,
		deleted: facts.deleted,
	}
}

// emailAddress builds a lower-case address that is unique by construction: the local part
// is letters, a dot, letters and then the user id, so the trailing digits alone identify the
// user and no two users can share an address, at any scale and without a uniqueness check.
func emailAddress(first, last string, id int64, domain string) string {
	var b strings.Builder
	b.WriteString(letters(first, "user"))
	b.WriteByte('.')
	b.WriteString(letters(last, "customer"))
	b.WriteString(strconv.FormatInt(id, 10))
	b.WriteByte('@')
	b.WriteString(domain)
	return b.String()
}

// letters returns the ASCII letters of s in lower case, or fallback when there are none.
func letters(s, fallback string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}

type productRow struct {
	id         int64
	name       string
	priceCents int64
}

func (w *world) product(r *rowRand, id int64) productRow {
	r.reset(rowKey(w.seed, saltProduct, id) ^ 0x5bd1e995)
	name := r.faker.ProductName()
	if len(name) > 255 {
		name = name[:255]
	}
	return productRow{id: id, name: name, priceCents: w.productPriceCents(id)}
}

type orderRow struct {
	id, userID int64
	created    time.Time
}

func (w *world) order(r *rowRand, id int64) orderRow {
	r.reset(rowKey(w.seed, saltOrder, id))
	userID := w.users.id(buyerRank(r.float(), w.buyers))
	facts := w.userFactsOf(userID)
	return orderRow{id: id, userID: userID, created: rhythmicTime(r, facts.created, facts.end())}
}

// buyerRank maps a uniform u to a buyer rank, 0 being the busiest buyer. The rank fraction is
// ((u(1-s)+s)^3 - s^3) / (1 - s^3) with s = orderSkewShift: a cubic, so a small share of
// buyers places a large share of orders, shifted so the busiest buyer gets a bounded share.
// With s = 0.12 the busiest buyer places about 26 times the average number of orders per
// buyer and the top 1% of users about 15% of all orders, whatever the number of users.
func buyerRank(u float64, buyers int64) int64 {
	const s = orderSkewShift
	v := u*(1-s) + s
	x := (v*v*v - s*s*s) / (1 - s*s*s)
	return min(int64(x*float64(buyers)), buyers-1)
}

// rhythmicTime draws a time in [from, to] that follows the weekly, seasonal and daily rhythm.
// It tries a bounded number of times, so the cost per row is constant.
func rhythmicTime(r *rowRand, from, to time.Time) time.Time {
	var t time.Time
	for range maxRhythmAttempts {
		t = between(from, to, r.float())
		weight := weekdayWeight[t.Weekday()] * monthWeight[t.Month()-1] * hourWeight[t.Hour()]
		if r.float() < weight {
			break
		}
	}
	return t
}

type itemRow struct {
	id, orderID, productID int64
	quantity               int32
	unitPriceCents         int64
}

// items appends the items of one order, numbered from firstID.
func (w *world) items(r *rowRand, orderID, firstID int64, dst []itemRow) []itemRow {
	n := w.itemCount(orderID)
	r.reset(rowKey(w.seed, saltItem, orderID))
	for i := range n {
		rank := int64(math.Pow(r.float(), productSkew) * float64(w.counts.Products))
		productID := w.products.id(min(rank, w.counts.Products-1))
		dst = append(dst, itemRow{
			id:             firstID + i,
			orderID:        orderID,
			productID:      productID,
			quantity:       int32(weighted(quantityWeights[:], r.src.Uint64())) + 1,
			unitPriceCents: w.productPriceCents(productID),
		})
	}
	return dst
}

type tokenRow struct {
	id, userID int64
	hash       [sha256.Size]byte
	created    time.Time
	expires    time.Time
}

// token issues a token to an active user; about half of them have expired by ReferenceTime.
// The stored hash is SHA-256 of a token value derived from the seed and the token id, so
// hashes are unique without a check.
func (w *world) token(r *rowRand, id int64) tokenRow {
	r.reset(rowKey(w.seed, saltToken, id))
	userID := 1 + r.intn(w.counts.Users)
	facts := w.userFactsOf(userID)
	for !facts.deleted.IsZero() {
		userID = userID%w.counts.Users + 1
		facts = w.userFactsOf(userID)
	}

	from := ReferenceTime.Add(-tokenWindow)
	if facts.created.After(from) {
		from = facts.created
	}
	created := between(from, ReferenceTime, r.float())

	var value [16]byte
	binary.BigEndian.PutUint64(value[:8], uint64(w.seed))
	binary.BigEndian.PutUint64(value[8:], uint64(id))
	return tokenRow{
		id:      id,
		userID:  userID,
		hash:    sha256.Sum256(value[:]),
		created: created,
		expires: created.Add(tokenLifetime),
	}
}

// unixTime returns the UTC time of Unix seconds.
func unixTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// unit maps 64 random bits to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// between returns the instant a fraction f of the way from a to b, in whole seconds.
func between(a, b time.Time, f float64) time.Time {
	span := b.Sub(a)
	return a.Add(time.Duration(f * float64(span))).Truncate(time.Second)
}

// weighted returns the index chosen by h among weights that sum to 100.
func weighted(weights []int, h uint64) int {
	n := int(h % 100)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}
