-- Customer report rewritten without a summary table: totals per order first, then per user,
-- so no join repeats a value. Kept to measure against the summary-table design.
WITH order_values AS (
    SELECT order_id, sum(quantity * unit_price) AS order_value
    FROM order_items
    GROUP BY order_id
), user_totals AS (
    SELECT o.user_id,
           count(*) AS total_orders,
           coalesce(sum(v.order_value), 0) AS lifetime_value,
           max(o.created_at) AS last_order_at
    FROM orders o
    LEFT JOIN order_values v ON v.order_id = o.id
    GROUP BY o.user_id
)
SELECT user_id, name, email, signed_up_at, total_orders, lifetime_value, last_order_at
FROM (
    SELECT u.id AS user_id,
           u.name,
           u.email,
           u.created_at AS signed_up_at,
           coalesce(t.total_orders, 0) AS total_orders,
           coalesce(t.lifetime_value, 0) AS lifetime_value,
           t.last_order_at
    FROM users u
    LEFT JOIN user_totals t ON t.user_id = u.id
    WHERE u.deleted_at IS NULL
{{- if .Since}}
      AND u.created_at >= @since::timestamptz
{{- end}}
) AS metrics
WHERE true
{{template "value_filters" .}}ORDER BY lifetime_value DESC, user_id DESC
LIMIT @limit::bigint OFFSET @offset::bigint
