package seed

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
)

func TestDemoPasswordHashMatchesPassword(t *testing.T) {
	t.Parallel()
	parts := strings.Split(DemoPasswordHash, "$")
	require.Len(t, parts, 6)
	require.Equal(t, "argon2id", parts[1])
	require.Equal(t, fmt.Sprintf("v=%d", argon2.Version), parts[2])
	var memory, iterations uint32
	var lanes uint8
	_, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &iterations, &lanes)
	require.NoError(t, err)
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	require.NoError(t, err)
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	require.NoError(t, err)

	got := argon2.IDKey([]byte(DemoPassword), salt, iterations, memory, lanes, uint32(len(want)))

	require.Equal(t, want, got)
}

func TestEmailAddressNormalized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		first, last string
		id          int64
		want        string
	}{
		{"Kaitlyn", "Abshire", 1, "kaitlyn.abshire1@example.com"},
		{"Mary-Jane", "O'Conner", 42, "maryjane.oconner42@example.com"},
		{"Zoë", "", 7, "zo.customer7@example.com"},
		{"", "   ", 1000000, "user.customer1000000@example.com"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, emailAddress(tt.first, tt.last, tt.id, "example.com"))
	}
}

// Local parts end in the user id after letters only, so equal names never collide.
func TestEmailAddressUniqueForEqualNames(t *testing.T) {
	t.Parallel()
	seen := map[string]int64{}
	for id := int64(1); id <= 1000; id++ {
		email := emailAddress("Ann", "Lee", id, "example.com")
		require.NotContains(t, seen, email)
		seen[email] = id
	}
}

func TestPermutationBijective(t *testing.T) {
	t.Parallel()
	for _, n := range []int64{1, 2, 3, 10, 97, 100, 1000, 4096} {
		p := newPermutation(5, n)
		seen := make(map[int64]bool, n)
		for rank := range n {
			id := p.id(rank)
			require.GreaterOrEqual(t, id, int64(1))
			require.LessOrEqual(t, id, n)
			seen[id] = true
		}
		require.Len(t, seen, int(n), "n=%d", n)
	}
}

func TestBuyerRankBounds(t *testing.T) {
	t.Parallel()
	require.Equal(t, int64(0), buyerRank(0, 1000))
	require.Equal(t, int64(999), buyerRank(0.999999999, 1000))
	require.Equal(t, int64(0), buyerRank(0.5, 1))
}

func TestResolveCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want Counts
	}{
		{"demo", Config{Scale: ScaleDemo}, Counts{Users: 10_000, Products: 100, Orders: 30_000, Tokens: 5_000}},
		{"default scale", Config{}, Counts{Users: 10_000, Products: 100, Orders: 30_000, Tokens: 5_000}},
		{"small", Config{Scale: ScaleSmall}, Counts{Users: 100_000, Products: 1_000, Orders: 300_000, Tokens: 50_000}},
		{"large", Config{Scale: ScaleLarge},
			Counts{Users: 1_000_000, Products: 10_000, Orders: 3_000_000, Tokens: 500_000}},
		{"users follow ratios", Config{Users: 500}, Counts{Users: 500, Products: 10, Orders: 1_500, Tokens: 250}},
		{"explicit counts", Config{Scale: ScaleLarge, Users: 10, Products: 3, Orders: 7, Tokens: 1},
			Counts{Users: 10, Products: 3, Orders: 7, Tokens: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveCounts(tt.cfg)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestIsLocalHost(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"/tmp/forge/run":      true,
		"/var/run/postgresql": true,
		"localhost":           true,
		"LOCALHOST":           true,
		"127.0.0.1":           true,
		"127.0.0.2":           true,
		"::1":                 true,
		"db.example.com":      false,
		"10.0.0.5":            false,
		"192.168.1.20":        false,
		"localhost.example":   false,
		"":                    false,
	}
	for host, want := range tests {
		require.Equal(t, want, isLocalHost(host), host)
	}
}

func TestChunkPlanCoversEveryRow(t *testing.T) {
	t.Parallel()
	w := newWorld(1, Counts{Users: 3 * chunkRows, Products: 5, Orders: chunkRows + 1, Tokens: 0})
	plans := newPlan(w)

	require.Len(t, plans[0].chunks, 3)
	require.Len(t, plans[2].chunks, 2)
	require.Equal(t, int64(chunkRows+1), plans[2].chunks[1].from)
	require.Equal(t, int64(chunkRows+2), plans[2].chunks[1].to)
	require.Empty(t, plans[4].chunks)

	items := plans[3]
	var total int64
	for id := int64(1); id <= w.counts.Orders; id++ {
		total += w.itemCount(id)
	}
	require.Equal(t, total, items.rows)
	require.Equal(t, int64(1), items.chunks[0].firstItem)
}
