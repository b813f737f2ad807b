package seed

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// derivedTable is a table that triggers on the data tables keep current. Their statement
// triggers aggregate each COPY's transition table, which at the large scale costs more than
// recomputing the table once, so the load disables them and calls the rebuild function.
type derivedTable struct {
	name          string
	triggerPrefix string // name prefix of the triggers that maintain the table
	rebuild       string // function, without arguments, that recomputes the table from scratch
}

// rebuildWorkMem is the least work_mem of the rebuilds; a higher setting is kept.
const rebuildWorkMem = "256MB"

var derivedTables = []derivedTable{
	{name: "customer_stats", triggerPrefix: "customer_stats_", rebuild: "customer_stats_rebuild"},
}

// pausedTriggers lists the triggers disabled for the load and the derived tables to rebuild.
type pausedTriggers struct {
	triggers []pausedTrigger
	rebuilds []derivedTable
}

type pausedTrigger struct{ table, name string }

const enabledTriggersQuery = `
SELECT format('%I.%I', n.nspname, c.relname), t.tgname
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE t.tgrelid = ANY($1::regclass[]) AND NOT t.tgisinternal AND t.tgenabled = 'O'
  AND starts_with(t.tgname, $2)
ORDER BY 1, 2`

// pauseDerivedTriggers disables the enabled triggers of every derived table whose rebuild
// function exists. A derived table without that function keeps its triggers.
func pauseDerivedTriggers(ctx context.Context, tx pgx.Tx) (*pausedTriggers, error) {
	paused := &pausedTriggers{}
	for _, d := range derivedTables {
		var exists bool
		err := tx.QueryRow(ctx, "SELECT to_regprocedure($1) IS NOT NULL", d.rebuild+"()").Scan(&exists)
		if err != nil {
			return nil, fmt.Errorf("look up function %s: %w", d.rebuild, err)
		}
		if !exists {
			continue
		}
		rows, err := tx.Query(ctx, enabledTriggersQuery, DataTables, d.triggerPrefix)
		if err != nil {
			return nil, fmt.Errorf("read triggers of %s: %w", d.name, err)
		}
		triggers, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pausedTrigger, error) {
			var t pausedTrigger
			return t, row.Scan(&t.table, &t.name)
		})
		if err != nil {
			return nil, fmt.Errorf("read triggers of %s: %w", d.name, err)
		}
		paused.triggers = append(paused.triggers, triggers...)
		paused.rebuilds = append(paused.rebuilds, d)
	}

	for _, t := range paused.triggers {
		sql := fmt.Sprintf("ALTER TABLE %s DISABLE TRIGGER %s", t.table, pgx.Identifier{t.name}.Sanitize())
		if _, err := tx.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("disable trigger %s for the load: %w", t.name, err)
		}
	}
	return paused, nil
}

// resume enables the paused triggers again, rebuilds the derived tables and analyzes them,
// because the rebuild's TRUNCATE leaves a table without planner statistics.
func (p *pausedTriggers) resume(ctx context.Context, tx pgx.Tx) error {
	for _, t := range p.triggers {
		sql := fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s", t.table, pgx.Identifier{t.name}.Sanitize())
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("enable trigger %s after the load: %w", t.name, err)
		}
	}
	if len(p.rebuilds) == 0 {
		return nil
	}
	// The rebuilds aggregate every order and item in hash tables; at the large scale they
	// take about 10% less time with 256MB than with 32MB (measured once, 1,000,000 users).
	if _, err := tx.Exec(ctx, raiseSetting, "work_mem", rebuildWorkMem); err != nil {
		return fmt.Errorf("set work_mem: %w", err)
	}
	for _, d := range p.rebuilds {
		if _, err := tx.Exec(ctx, "SELECT "+pgx.Identifier{d.rebuild}.Sanitize()+"()"); err != nil {
			return fmt.Errorf("rebuild %s with %s(): %w", d.name, d.rebuild, err)
		}
		if _, err := tx.Exec(ctx, "ANALYZE "+pgx.Identifier{d.name}.Sanitize()); err != nil {
			return fmt.Errorf("analyze %s: %w", d.name, err)
		}
	}
	return nil
}
