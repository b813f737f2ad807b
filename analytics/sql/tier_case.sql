{{- /* The tier of lifetime_value; the same rule as Thresholds.TierOf. */ -}}
{{define "tier_case" -}}
CASE WHEN lifetime_value > @vip::numeric THEN 'VIP'
         WHEN lifetime_value > @regular::numeric THEN 'Regular'
         ELSE 'New' END
{{- end}}
