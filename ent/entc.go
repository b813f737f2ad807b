//go:build ignore

// This program generates the ent client from ./schema. Run it with `go generate ./ent`.
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureIntercept,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureUpsert,
		},
	})
	if err != nil {
		log.Fatalf("generate ent client: %v", err)
	}
}
