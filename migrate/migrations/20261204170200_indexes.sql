-- atlas:txmode none

-- Create index "auth_tokens_expires_at_idx" to table: "auth_tokens"
CREATE INDEX CONCURRENTLY "auth_tokens_expires_at_idx" ON "auth_tokens" ("expires_at");
-- Create index "auth_tokens_user_id_idx" to table: "auth_tokens"
CREATE INDEX CONCURRENTLY "auth_tokens_user_id_idx" ON "auth_tokens" ("user_id");
-- Create index "order_items_order_id_idx" to table: "order_items"
CREATE INDEX CONCURRENTLY "order_items_order_id_idx" ON "order_items" ("order_id");
-- Create index "order_items_product_id_idx" to table: "order_items"
CREATE INDEX CONCURRENTLY "order_items_product_id_idx" ON "order_items" ("product_id");
-- Create index "orders_user_id_created_at_idx" to table: "orders"
CREATE INDEX CONCURRENTLY "orders_user_id_created_at_idx" ON "orders" ("user_id", "created_at" DESC);
-- Create index "users_active_created_at_idx" to table: "users"
CREATE INDEX CONCURRENTLY "users_active_created_at_idx" ON "users" ("created_at", "id") WHERE (deleted_at IS NULL);
-- Create index "users_created_at_idx" to table: "users"
CREATE INDEX CONCURRENTLY "users_created_at_idx" ON "users" ("created_at");
