-- Customer report from customer_stats, which triggers keep equal to the per-user aggregate of
-- orders and order items, with copies of users.created_at and users.deleted_at. The order is
-- customer_stats_active_value_idx read backwards, so a page reads about LIMIT index entries,
-- wherever the keyset cursor starts, and looks up users only for the rows it returns.
SELECT s.user_id, u.name, u.email, s.signed_up_at,
       s.total_orders, s.lifetime_value, s.last_order_at
FROM customer_stats s
JOIN users u ON u.id = s.user_id
WHERE s.deleted_at IS NULL
{{- if .Since}}
  AND s.signed_up_at >= @since::timestamptz
{{- end}}
{{template "value_filters" .}}ORDER BY s.lifetime_value DESC, s.user_id DESC
LIMIT @limit::bigint OFFSET @offset::bigint
