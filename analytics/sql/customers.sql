-- Customer report from customer_stats, which triggers keep equal to the per-user aggregate of
-- orders and order items. The order matches customer_stats_lifetime_value_user_id_idx read
-- backwards, so a page reads about LIMIT index entries plus one users lookup per row, wherever
-- the keyset cursor starts.
SELECT s.user_id, u.name, u.email, u.created_at AS signed_up_at,
       s.total_orders, s.lifetime_value, s.last_order_at
FROM customer_stats s
JOIN users u ON u.id = s.user_id
WHERE u.deleted_at IS NULL
{{- if .Since}}
  AND u.created_at >= @since::timestamptz
{{- end}}
{{template "value_filters" .}}ORDER BY s.lifetime_value DESC, s.user_id DESC
LIMIT @limit::bigint OFFSET @offset::bigint
