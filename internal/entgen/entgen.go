// Package entgen holds the ent code generation settings, shared by `go generate ./ent` and
// the test that checks the committed client is current.
package entgen

import (
	"embed"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

// Features are the ent features the generated client is built with.
var Features = []gen.Feature{
	gen.FeatureVersionedMigration,
	gen.FeatureIntercept,
	gen.FeatureExecQuery,
	gen.FeatureLock,
	gen.FeatureModifier,
	gen.FeatureUpsert,
}

//go:embed template/*.tmpl
var templates embed.FS

// Generate writes the ent client for the schema package in schemaDir into target. An
// empty target means the ent directory next to schemaDir.
func Generate(schemaDir, target string) error {
	cfg := &gen.Config{
		Features:  Features,
		Templates: []*gen.Template{gen.MustParse(gen.NewTemplate("forge").ParseFS(templates, "template/*.tmpl"))},
	}
	if target != "" {
		cfg.Target = target
		cfg.Package = "github.com/forgedb/forge/ent"
	}
	return entc.Generate(schemaDir, cfg)
}
