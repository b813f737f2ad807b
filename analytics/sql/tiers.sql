-- Tier summary from customer_stats: one pass over the summary rows of active users.
SELECT {{template "tier_case" .}} AS tier,
       count(*) AS customers,
       coalesce(sum(lifetime_value), 0) AS value
FROM customer_stats s
JOIN users u ON u.id = s.user_id
WHERE u.deleted_at IS NULL
{{- if .Since}}
  AND u.created_at >= @since::timestamptz
{{- end}}
GROUP BY 1
