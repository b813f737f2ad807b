package seed

import (
	"math/rand"

	"github.com/brianvoe/gofakeit/v6"
)

// Salts separate the random streams of the tables, so that user 7 and order 7 draw
// unrelated values from the same seed.
const (
	saltUser uint64 = iota + 1
	saltProduct
	saltOrder
	saltItemCount
	saltItem
	saltToken
	saltPermutation
)

// mix is the SplitMix64 finalizer: a bijective scramble of 64 bits with good avalanche.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// rowKey derives the starting state of one row's random stream from the seed, the table
// salt and the row id. Every value of a row comes from its own stream, so a row's contents
// never depend on which worker generated it or in which order.
func rowKey(seed int64, salt uint64, id int64) uint64 {
	return mix(mix(uint64(seed)^salt*0x9e3779b97f4a7c15) ^ uint64(id))
}

// splitMix is a SplitMix64 generator usable as a math/rand source. gofakeit v6 draws from a
// *rand.Rand, and a rand.Rand over this source can be re-seeded per row without allocating.
type splitMix struct{ state uint64 }

func (s *splitMix) Uint64() uint64 {
	s.state += 0x9e3779b97f4a7c15
	return mix(s.state)
}

func (s *splitMix) Int63() int64 { return int64(s.Uint64() >> 1) }

// Seed implements rand.Source; rows re-seed through reset instead.
func (s *splitMix) Seed(seed int64) { s.state = uint64(seed) }

var _ rand.Source64 = (*splitMix)(nil)

// rowRand is one worker's generator: a gofakeit faker and plain draws over one source that
// is reset at the start of each row.
type rowRand struct {
	src   splitMix
	faker *gofakeit.Faker
}

func newRowRand() *rowRand {
	r := &rowRand{}
	r.faker = gofakeit.NewCustom(&r.src)
	return r
}

// reset positions the stream at the start of the row with the given key.
func (r *rowRand) reset(key uint64) { r.src.state = key }

// float returns a uniform value in [0, 1).
func (r *rowRand) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// intn returns a uniform value in [0, n) for n > 0.
func (r *rowRand) intn(n int64) int64 { return int64(r.src.Uint64() % uint64(n)) }
