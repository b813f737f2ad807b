-- The straightforward tier summary: the plain per-user aggregate of every item, then tiers.
SELECT {{template "tier_case" .}} AS tier,
       count(*) AS customers,
       coalesce(sum(lifetime_value), 0) AS value
FROM (
    SELECT u.id, coalesce(sum(oi.quantity * oi.unit_price), 0) AS lifetime_value
    FROM users u
    LEFT JOIN orders o ON o.user_id = u.id
    LEFT JOIN order_items oi ON oi.order_id = o.id
    WHERE u.deleted_at IS NULL
{{- if .Since}}
      AND u.created_at >= @since::timestamptz
{{- end}}
    GROUP BY u.id
) AS metrics
GROUP BY 1
