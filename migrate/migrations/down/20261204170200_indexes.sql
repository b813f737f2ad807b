-- atlas:txmode none

-- Drop index "auth_tokens_expires_at_idx" from table: "auth_tokens"
DROP INDEX CONCURRENTLY "auth_tokens_expires_at_idx";
-- Drop index "auth_tokens_user_id_idx" from table: "auth_tokens"
DROP INDEX CONCURRENTLY "auth_tokens_user_id_idx";
-- Drop index "order_items_order_id_idx" from table: "order_items"
DROP INDEX CONCURRENTLY "order_items_order_id_idx";
-- Drop index "order_items_product_id_idx" from table: "order_items"
DROP INDEX CONCURRENTLY "order_items_product_id_idx";
-- Drop index "orders_user_id_created_at_idx" from table: "orders"
DROP INDEX CONCURRENTLY "orders_user_id_created_at_idx";
-- Drop index "users_active_created_at_idx" from table: "users"
DROP INDEX CONCURRENTLY "users_active_created_at_idx";
-- Drop index "users_created_at_idx" from table: "users"
DROP INDEX CONCURRENTLY "users_created_at_idx";
