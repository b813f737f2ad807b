package forge_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forgedb/forge/internal/pgtest"
)

// outsideApp is a service in a module of its own that embeds Forge.
const outsideApp = `package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/shopspring/decimal"

	"github.com/forgedb/forge"
)

func main() {
	ctx := context.Background()
	db, err := forge.Open(ctx, forge.Config{DatabaseURL: os.Getenv("DATABASE_URL")})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	u, err := db.CreateUser(ctx, forge.NewUser{Name: "Outside", Email: "outside@example.com", Password: "pw"})
	if err != nil {
		log.Fatal(err)
	}
	p, err := db.Client.Product.Create().SetName("Mug").SetPrice(decimal.RequireFromString("4.50")).Save(ctx)
	if err != nil {
		log.Fatal(err)
	}
	o, err := db.PlaceOrder(ctx, u.ID, []forge.OrderLine{{ProductID: p.ID, Quantity: 2}})
	if err != nil {
		log.Fatal(err)
	}
	token, err := db.IssueToken(ctx, u.ID, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	verified, err := db.VerifyToken(ctx, token.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(forge.OrderTotal(o.Edges.Items).StringFixed(2), verified.Email)
}
`

// TestOutsideModuleImports builds a program in a temporary module that requires Forge
// through a replace directive to this checkout, and runs it against a test database. The
// build works offline: it resolves modules from the module cache only.
func TestOutsideModuleImports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program outside this module")
	}
	t.Parallel()
	checkout, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	goMod := "module example.com/outside\n\ngo 1.26\n\n" +
		"require github.com/forgedb/forge v0.0.0\n\n" +
		"replace github.com/forgedb/forge => " + checkout + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(outsideApp), 0o644))
	// Forge's go.sum lists every module its packages need, so the program needs no lookup.
	sums, err := os.ReadFile(filepath.Join(checkout, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sums, 0o644))

	goTool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if os.Getenv("GOROOT") == "" {
		goTool = "go"
	}
	build := exec.Command(goTool, "build", "-o", "outside", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build of the outside module failed:\n%s", out)

	run := exec.Command(filepath.Join(dir, "outside"))
	run.Env = append(os.Environ(), "DATABASE_URL="+pgtest.New(t).URL)
	out, err = run.CombinedOutput()
	require.NoError(t, err, "outside program failed:\n%s", out)
	require.Equal(t, "9.00 outside@example.com", strings.TrimSpace(string(out)))
}
