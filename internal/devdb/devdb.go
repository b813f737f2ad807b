// Package devdb creates throwaway databases for commands that need a scratch schema: planning
// migrations and generating the schema document.
package devdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Create makes an empty database on the server behind adminURL and returns its connection
// config and a function that drops it. The role of adminURL needs CREATEDB.
func Create(ctx context.Context, adminURL string) (*pgx.ConnConfig, func(), error) {
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid dev server URL: %w", err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to dev server: %w", err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "forge_dev_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		admin.Close(ctx)
		return nil, nil, fmt.Errorf("create dev database (the role needs CREATEDB): %w", err)
	}
	devCfg := cfg.Copy()
	devCfg.Database = name
	drop := func() {
		dropCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = admin.Exec(dropCtx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(dropCtx)
	}
	return devCfg, drop, nil
}
