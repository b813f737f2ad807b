-- Drop "order_items" table
DROP TABLE "order_items";
-- Drop "orders" table
DROP TABLE "orders";
-- Drop "products" table
DROP TABLE "products";
-- Drop "users" table
DROP TABLE "users";
