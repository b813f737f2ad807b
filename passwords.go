package forge

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id parameters (RFC 9106). Zero fields take the values of
// DefaultPasswordParams.
type PasswordParams struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Iterations is the time cost: passes over the memory.
	Iterations uint32
	// Parallelism is the number of lanes.
	Parallelism uint8
}

// DefaultPasswordParams is the minimum argon2id configuration that the OWASP Password Storage
// Cheat Sheet recommends (2023): 19 MiB, 2 iterations, 1 lane. BenchmarkHashPassword measures
// its cost.
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Iterations: 2, Parallelism: 1}

const (
	passwordSaltBytes = 16
	passwordKeyBytes  = 32
)

var errMalformedHash = errors.New("malformed password hash")

func (p PasswordParams) withDefaults() PasswordParams {
	if p.Memory == 0 {
		p.Memory = DefaultPasswordParams.Memory
	}
	if p.Iterations == 0 {
		p.Iterations = DefaultPasswordParams.Iterations
	}
	if p.Parallelism == 0 {
		p.Parallelism = DefaultPasswordParams.Parallelism
	}
	return p
}

// HashPassword returns an argon2id hash of password with a random salt, in the PHC string
// format: $argon2id$v=19$m=MEMORY,t=ITERATIONS,p=PARALLELISM$SALT$KEY.
func HashPassword(password string, params PasswordParams) (string, error) {
	params = params.withDefaults()
	salt := make([]byte, passwordSaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, params.Iterations, params.Memory, params.Parallelism, passwordKeyBytes)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		params.Memory, params.Iterations, params.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, comparing the derived keys in
// constant time. The error is non-nil only when hash is not a hash HashPassword wrote.
func VerifyPassword(hash, password string) (bool, error) {
	params, salt, key, err := parsePasswordHash(hash)
	if err != nil {
		return false, err
	}
	derived := argon2.IDKey([]byte(password), salt, params.Iterations, params.Memory, params.Parallelism,
		uint32(len(key)))
	return subtle.ConstantTimeCompare(derived, key) == 1, nil
}

// PasswordNeedsRehash reports whether hash was made with parameters other than params, so
// that the password should be hashed again the next time it is known (at sign-in).
func PasswordNeedsRehash(hash string, params PasswordParams) bool {
	current, _, key, err := parsePasswordHash(hash)
	return err != nil || current != params.withDefaults() || len(key) != passwordKeyBytes
}

func parsePasswordHash(hash string) (PasswordParams, []byte, []byte, error) {
	// "$argon2id$v=19$m=...,t=...,p=...$salt$key" splits into "", "argon2id", "v=19", ...
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: expected the $argon2id$ PHC format", errMalformedHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: unsupported argon2 version field %q", errMalformedHash, parts[2])
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Parallelism); err != nil ||
		p.Memory == 0 || p.Iterations == 0 || p.Parallelism == 0 {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: invalid parameter field %q", errMalformedHash, parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) == 0 {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: invalid salt encoding", errMalformedHash)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: invalid key encoding", errMalformedHash)
	}
	return p, salt, key, nil
}
