package forge_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Markers around the embedding section of README.md and docs/client.md. The section holds
// one ```go block with the code of Example.
const (
	embedStart = "<!-- embed:start -->"
	embedEnd   = "<!-- embed:end -->"
)

func TestReadmeMatchesExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("README.md")
	require.NoError(t, err)
	requireEmbedMatchesExample(t, "README.md", string(doc))
}

func TestClientDocMatchesExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("docs/client.md")
	require.NoError(t, err)
	requireEmbedMatchesExample(t, "docs/client.md", string(doc))
}

func requireEmbedMatchesExample(t *testing.T, name, doc string) {
	t.Helper()
	require.Contains(t, doc, embedStart, "%s has no %s marker", name, embedStart)
	_, after, _ := strings.Cut(doc, embedStart)
	require.Contains(t, after, embedEnd, "%s has no %s marker after %s", name, embedEnd, embedStart)
	_, code, ok := strings.Cut(embedSection(doc), "```go\n")
	require.True(t, ok, "%s: the embedding section has no ```go block", name)
	code, _, ok = strings.Cut(code, "```")
	require.True(t, ok, "%s: the ```go block in the embedding section is not closed", name)

	require.Equal(t, exampleCode(t), strings.TrimSpace(code),
		"%s's embedding section differs from func Example in example_test.go: copy the example's code "+
			"(without its first line, which sets up a test database, and without the Output comment)", name)
}

// embedSection returns the text between the markers, or "" when either is missing.
func embedSection(doc string) string {
	_, after, ok := strings.Cut(doc, embedStart)
	if !ok {
		return ""
	}
	section, _, ok := strings.Cut(after, embedEnd)
	if !ok {
		return ""
	}
	return section
}

// exampleCode returns the body of func Example without its first statement (the test
// database setup) and without the Output comment, dedented by one tab.
func exampleCode(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "example_test.go", src, parser.ParseComments)
	require.NoError(t, err)
	var body *ast.BlockStmt
	for _, decl := range file.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Name.Name == "Example" {
			body = fn.Body
		}
	}
	require.NotNil(t, body, "example_test.go has no func Example")
	require.Greater(t, len(body.List), 1, "func Example is too short to hold the embedding code")

	start := fset.Position(body.List[1].Pos()).Offset
	end := fset.Position(body.Rbrace).Offset
	code := string(src[start:end])
	code, _, _ = strings.Cut(code, "// Output:")
	lines := strings.Split(strings.TrimSpace(code), "\n")
	for i, line := range lines {
		lines[i] = strings.TrimPrefix(line, "\t")
	}
	return strings.Join(lines, "\n")
}
