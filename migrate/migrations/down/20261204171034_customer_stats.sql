-- Drop the triggers and functions added by hand to the up file first, because they refer to
-- "customer_stats".
DROP TRIGGER "customer_stats_users_update" ON "users";
DROP TRIGGER "customer_stats_order_items_truncate" ON "order_items";
DROP TRIGGER "customer_stats_order_items_delete" ON "order_items";
DROP TRIGGER "customer_stats_order_items_update" ON "order_items";
DROP TRIGGER "customer_stats_order_items_insert" ON "order_items";
DROP TRIGGER "customer_stats_orders_truncate" ON "orders";
DROP TRIGGER "customer_stats_orders_delete" ON "orders";
DROP TRIGGER "customer_stats_orders_update" ON "orders";
DROP TRIGGER "customer_stats_orders_insert" ON "orders";
DROP TRIGGER "customer_stats_users_truncate" ON "users";
DROP TRIGGER "customer_stats_users_delete" ON "users";
DROP TRIGGER "customer_stats_users_insert" ON "users";
DROP FUNCTION "customer_stats_user_updated"();
DROP FUNCTION "customer_stats_order_items_changed"();
DROP FUNCTION "customer_stats_orders_changed"();
DROP FUNCTION "customer_stats_users_changed"();
DROP FUNCTION "customer_stats_rebuild"();
DROP FUNCTION "customer_stats_refresh"(bigint[]);
-- Drop "customer_stats" table. Its rows are derived from users, orders and order_items, and
-- the up migration rebuilds them, so dropping it loses no data.
-- atlas:nolint DS102
DROP TABLE "customer_stats";
