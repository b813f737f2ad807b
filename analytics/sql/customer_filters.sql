{{- /*
Conditions shared by the customer queries, on a relation that has lifetime_value and
user_id. The keyset condition compares the pair (lifetime_value, user_id) as a row, which
matches the order lifetime_value DESC, user_id DESC and lets one index range scan start there.
*/ -}}
{{define "value_filters" -}}
{{if .After}}    AND (lifetime_value, user_id) < (@after_value::numeric, @after_id::bigint)
{{end -}}
{{if .Lower}}    AND lifetime_value > @lower::numeric
{{end -}}
{{if .Upper}}    AND lifetime_value <= @upper::numeric
{{end -}}
{{end}}
