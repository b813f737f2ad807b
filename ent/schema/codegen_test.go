package schema_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/entgen"
)

// TestGeneratedClientIsCurrent regenerates the ent client into a temporary directory and
// compares it with the committed one, so a schema edit without `go generate ./ent` fails.
func TestGeneratedClientIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating the ent client takes several seconds")
	}
	target := t.TempDir()
	err := entgen.Generate(".", target)
	require.NoError(t, err)

	committed := filepath.Join("..")
	err = filepath.WalkDir(target, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(target, path)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(committed, rel))
		require.NoError(t, err, "generated file ent/%s is not committed: run `go generate ./ent`", rel)
		require.True(t, bytes.Equal(stripVersion(want), stripVersion(got)),
			"ent/%s is stale: run `go generate ./ent`", rel)
		return nil
	})
	require.NoError(t, err)
}

// versionBlock is the ent version that runtime.go records when the generator runs under
// `go run`; under `go test` the build information lacks it, so the comparison skips it.
var versionBlock = regexp.MustCompile(`(?s)\nconst \(\n\tVersion = .*?\n\)\n`)

func stripVersion(b []byte) []byte {
	return versionBlock.ReplaceAll(b, nil)
}
