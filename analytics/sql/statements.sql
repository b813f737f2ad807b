-- Statement totals from pg_stat_statements. The view name and column names are rendered from
-- the installed view's catalog entry, already quoted; every value is a parameter.
SELECT coalesce(s.queryid, 0) AS query_id,
       s.query,
       s.calls,
       s.{{.Total}} AS total_ms,
       s.{{.Mean}} AS mean_ms,
       s.{{.Max}} AS max_ms,
       s.rows,
       s.shared_blks_hit,
       s.shared_blks_read,
       s.{{.ReadTime}} + s.{{.WriteTime}} AS block_io_ms
FROM {{.View}} AS s
WHERE s.{{.Mean}} >= @min_mean::float8
  AND s.calls >= @min_calls::bigint
{{- if not .AllDatabases}}
  AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
{{- end}}
ORDER BY {{if eq .OrderBy "calls"}}s.calls DESC{{else if eq .OrderBy "total"}}s.{{.Total}} DESC{{else}}s.{{.Mean}} DESC{{end}}, s.queryid
LIMIT @limit::bigint
