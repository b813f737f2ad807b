package schema

import "entgo.io/ent/dialect"

var (
	varchar255 = map[string]string{dialect.Postgres: "varchar(255)"}
	money      = map[string]string{dialect.Postgres: "numeric(10,2)"}
)
