-- The straightforward customer report: every active user joined to every order and order
-- item, grouped per user, on every call. COUNT(DISTINCT) keeps an order with several items
-- from counting more than once, and the sum runs over item rows, which the join does not
-- repeat.
SELECT user_id, name, email, signed_up_at, total_orders, lifetime_value, last_order_at
FROM (
    SELECT u.id AS user_id,
           u.name,
           u.email,
           u.created_at AS signed_up_at,
           count(DISTINCT o.id) AS total_orders,
           coalesce(sum(oi.quantity * oi.unit_price), 0) AS lifetime_value,
           max(o.created_at) AS last_order_at
    FROM users u
    LEFT JOIN orders o ON o.user_id = u.id
    LEFT JOIN order_items oi ON oi.order_id = o.id
    WHERE u.deleted_at IS NULL
{{- if .Since}}
      AND u.created_at >= @since::timestamptz
{{- end}}
    GROUP BY u.id
) AS metrics
WHERE true
{{template "value_filters" .}}ORDER BY lifetime_value DESC, user_id DESC
LIMIT @limit::bigint OFFSET @offset::bigint
