-- Tier summary from customer_stats alone: one pass over its rows, with no join to users.
SELECT {{template "tier_case" .}} AS tier,
       count(*) AS customers,
       coalesce(sum(lifetime_value), 0) AS value
FROM customer_stats
WHERE deleted_at IS NULL
{{- if .Since}}
  AND signed_up_at >= @since::timestamptz
{{- end}}
GROUP BY 1
