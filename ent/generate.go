// Package ent is Forge's generated ent client. Edit the schemas in ./schema and run
// `go generate ./ent`; every other file in this directory is generated.
package ent

//go:generate go run -mod=mod entc.go
