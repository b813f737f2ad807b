-- Create "customer_stats" table
CREATE TABLE "customer_stats" ("user_id" bigint NOT NULL, "total_orders" bigint NOT NULL DEFAULT 0, "lifetime_value" numeric NOT NULL DEFAULT 0, "last_order_at" timestamptz NULL, "signed_up_at" timestamptz NOT NULL, "deleted_at" timestamptz NULL, PRIMARY KEY ("user_id"), CONSTRAINT "customer_stats_lifetime_value_check" CHECK (lifetime_value >= (0)::numeric), CONSTRAINT "customer_stats_total_orders_check" CHECK (total_orders >= 0));
-- Create index "customer_stats_active_value_idx" to table: "customer_stats"
CREATE INDEX "customer_stats_active_value_idx" ON "customer_stats" ("lifetime_value", "user_id") WHERE (deleted_at IS NULL);

-- Everything below was added by hand, because Atlas's open-source inspector does not see
-- functions and triggers. The triggers keep "customer_stats" equal to the aggregate of
-- orders and order_items per user, in the same transaction as each write. They are
-- statement-level with transition tables, so a COPY or a multi-row INSERT costs one
-- aggregated upsert rather than one per row. Every upsert locks rows in user id order, so two
-- transactions that touch the same users cannot deadlock on them.

CREATE FUNCTION "customer_stats_refresh"(user_ids bigint[]) RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    INSERT INTO customer_stats AS s
        (user_id, total_orders, lifetime_value, last_order_at, signed_up_at, deleted_at)
    SELECT u.id,
           (SELECT count(*) FROM orders o WHERE o.user_id = u.id),
           (SELECT coalesce(sum(i.quantity * i.unit_price), 0)
            FROM orders o JOIN order_items i ON i.order_id = o.id
            WHERE o.user_id = u.id),
           (SELECT max(o.created_at) FROM orders o WHERE o.user_id = u.id),
           u.created_at,
           u.deleted_at
    FROM users u
    WHERE u.id = ANY (user_ids)
    ORDER BY u.id
    ON CONFLICT (user_id) DO UPDATE
    SET total_orders = excluded.total_orders,
        lifetime_value = excluded.lifetime_value,
        last_order_at = excluded.last_order_at,
        signed_up_at = excluded.signed_up_at,
        deleted_at = excluded.deleted_at
    WHERE (s.total_orders, s.lifetime_value, s.last_order_at, s.signed_up_at, s.deleted_at)
          IS DISTINCT FROM (excluded.total_orders, excluded.lifetime_value, excluded.last_order_at,
                            excluded.signed_up_at, excluded.deleted_at);
$$;

CREATE FUNCTION "customer_stats_rebuild"() RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    TRUNCATE customer_stats;
    INSERT INTO customer_stats
        (user_id, total_orders, lifetime_value, last_order_at, signed_up_at, deleted_at)
    SELECT u.id, coalesce(o.total_orders, 0), coalesce(v.lifetime_value, 0), o.last_order_at,
           u.created_at, u.deleted_at
    FROM users u
    LEFT JOIN (
        SELECT user_id, count(*) AS total_orders, max(created_at) AS last_order_at
        FROM orders
        GROUP BY user_id
    ) AS o ON o.user_id = u.id
    LEFT JOIN (
        SELECT o.user_id, sum(i.quantity * i.unit_price) AS lifetime_value
        FROM order_items i
        JOIN orders o ON o.id = i.order_id
        GROUP BY o.user_id
    ) AS v ON v.user_id = u.id
    ORDER BY u.id;
END
$$;

CREATE FUNCTION "customer_stats_users_changed"() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO customer_stats (user_id, signed_up_at, deleted_at)
                 SELECT id, created_at, deleted_at FROM new_users ORDER BY id
                 ON CONFLICT (user_id) DO NOTHING';
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'DELETE FROM customer_stats WHERE user_id IN (SELECT id FROM old_users)';
    ELSE
        PERFORM customer_stats_rebuild();
    END IF;
    RETURN NULL;
END
$$;

-- A row-level trigger, because a trigger limited to some columns cannot have transition
-- tables. It fires only when a copied column changes, such as on a soft delete.
CREATE FUNCTION "customer_stats_user_updated"() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    UPDATE customer_stats
    SET signed_up_at = NEW.created_at, deleted_at = NEW.deleted_at
    WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;

-- The upserts read users for the rare user with no row yet, which needs signed_up_at.
CREATE FUNCTION "customer_stats_orders_changed"() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO customer_stats AS s
                     (user_id, total_orders, last_order_at, signed_up_at, deleted_at)
                 SELECT n.user_id, n.total_orders, n.last_order_at, u.created_at, u.deleted_at
                 FROM (
                     SELECT user_id, count(*) AS total_orders, max(created_at) AS last_order_at
                     FROM new_orders
                     GROUP BY user_id
                 ) AS n
                 JOIN users u ON u.id = n.user_id
                 ORDER BY n.user_id
                 ON CONFLICT (user_id) DO UPDATE
                 SET total_orders = s.total_orders + excluded.total_orders,
                     last_order_at = greatest(s.last_order_at, excluded.last_order_at)';
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM customer_stats_refresh(ARRAY(SELECT DISTINCT user_id FROM old_orders));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM customer_stats_refresh(ARRAY(
            SELECT user_id FROM old_orders UNION SELECT user_id FROM new_orders));
    ELSE
        PERFORM customer_stats_rebuild();
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION "customer_stats_order_items_changed"() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO customer_stats AS s
                     (user_id, lifetime_value, signed_up_at, deleted_at)
                 SELECT n.user_id, n.lifetime_value, u.created_at, u.deleted_at
                 FROM (
                     SELECT o.user_id, sum(i.quantity * i.unit_price) AS lifetime_value
                     FROM new_items i
                     JOIN orders o ON o.id = i.order_id
                     GROUP BY o.user_id
                 ) AS n
                 JOIN users u ON u.id = n.user_id
                 ORDER BY n.user_id
                 ON CONFLICT (user_id) DO UPDATE
                 SET lifetime_value = s.lifetime_value + excluded.lifetime_value';
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM customer_stats_refresh(ARRAY(
            SELECT DISTINCT o.user_id FROM old_items i JOIN orders o ON o.id = i.order_id));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM customer_stats_refresh(ARRAY(
            SELECT o.user_id FROM old_items i JOIN orders o ON o.id = i.order_id
            UNION
            SELECT o.user_id FROM new_items i JOIN orders o ON o.id = i.order_id));
    ELSE
        PERFORM customer_stats_rebuild();
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER "customer_stats_users_insert" AFTER INSERT ON "users"
    REFERENCING NEW TABLE AS new_users
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_users_changed();
CREATE TRIGGER "customer_stats_users_delete" AFTER DELETE ON "users"
    REFERENCING OLD TABLE AS old_users
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_users_changed();
CREATE TRIGGER "customer_stats_users_truncate" AFTER TRUNCATE ON "users"
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_users_changed();

CREATE TRIGGER "customer_stats_orders_insert" AFTER INSERT ON "orders"
    REFERENCING NEW TABLE AS new_orders
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_orders_changed();
CREATE TRIGGER "customer_stats_orders_update" AFTER UPDATE ON "orders"
    REFERENCING OLD TABLE AS old_orders NEW TABLE AS new_orders
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_orders_changed();
CREATE TRIGGER "customer_stats_orders_delete" AFTER DELETE ON "orders"
    REFERENCING OLD TABLE AS old_orders
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_orders_changed();
CREATE TRIGGER "customer_stats_orders_truncate" AFTER TRUNCATE ON "orders"
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_orders_changed();

CREATE TRIGGER "customer_stats_order_items_insert" AFTER INSERT ON "order_items"
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_order_items_changed();
CREATE TRIGGER "customer_stats_order_items_update" AFTER UPDATE ON "order_items"
    REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_order_items_changed();
CREATE TRIGGER "customer_stats_order_items_delete" AFTER DELETE ON "order_items"
    REFERENCING OLD TABLE AS old_items
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_order_items_changed();
CREATE TRIGGER "customer_stats_order_items_truncate" AFTER TRUNCATE ON "order_items"
    FOR EACH STATEMENT EXECUTE FUNCTION customer_stats_order_items_changed();
CREATE TRIGGER "customer_stats_users_update" AFTER UPDATE OF created_at, deleted_at ON "users"
    FOR EACH ROW
    WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION customer_stats_user_updated();

-- Fill the table for the rows that exist already. The triggers above are in place, and this
-- transaction holds their table locks, so no write can slip between the fill and them.
SELECT customer_stats_rebuild();
