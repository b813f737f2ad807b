package schema

import "entgo.io/ent/schema"

// Serves records the query an index exists for. The schema document generator prints it
// next to the index, so every index in the database carries its justification.
type Serves struct {
	Query string
}

// Name implements schema.Annotation.
func (Serves) Name() string { return "Serves" }

var _ schema.Annotation = Serves{}
