//go:build ignore

// This program generates the ent client from ./schema. Run it with `go generate ./ent`.
package main

import (
	"log"

	"github.com/forgedb/forge/internal/entgen"
)

func main() {
	if err := entgen.Generate("./schema", ""); err != nil {
		log.Fatalf("generate ent client: %v", err)
	}
}
