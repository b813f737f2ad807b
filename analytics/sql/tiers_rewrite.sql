-- Tier summary rewritten without a summary table: item values summed per user, then tiers.
-- Kept to measure against the summary-table design.
WITH user_totals AS (
    SELECT o.user_id, sum(oi.quantity * oi.unit_price) AS lifetime_value
    FROM orders o
    JOIN order_items oi ON oi.order_id = o.id
    GROUP BY o.user_id
)
SELECT {{template "tier_case" .}} AS tier,
       count(*) AS customers,
       coalesce(sum(lifetime_value), 0) AS value
FROM (
    SELECT u.id, coalesce(t.lifetime_value, 0) AS lifetime_value
    FROM users u
    LEFT JOIN user_totals t ON t.user_id = u.id
    WHERE u.deleted_at IS NULL
{{- if .Since}}
      AND u.created_at >= @since::timestamptz
{{- end}}
) AS metrics
GROUP BY 1
