-- atlas:txmode none

-- Restore the functions of the previous migration, which do not fill the copied columns, and
-- drop the trigger and function this migration added. These parts were written by hand.
-- signed_up_at loses NOT NULL first, because the restored functions insert rows without it.
ALTER TABLE "customer_stats" ALTER COLUMN "signed_up_at" DROP NOT NULL;
DROP TRIGGER "customer_stats_users_update" ON "users";
DROP FUNCTION "customer_stats_user_updated"();
CREATE OR REPLACE FUNCTION "customer_stats_refresh"(user_ids bigint[]) RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    INSERT INTO customer_stats AS s (user_id, total_orders, lifetime_value, last_order_at)
    SELECT u.id,
           (SELECT count(*) FROM orders o WHERE o.user_id = u.id),
           (SELECT coalesce(sum(i.quantity * i.unit_price), 0)
            FROM orders o JOIN order_items i ON i.order_id = o.id
            WHERE o.user_id = u.id),
           (SELECT max(o.created_at) FROM orders o WHERE o.user_id = u.id)
    FROM users u
    WHERE u.id = ANY (user_ids)
    ORDER BY u.id
    ON CONFLICT (user_id) DO UPDATE
    SET total_orders = excluded.total_orders,
        lifetime_value = excluded.lifetime_value,
        last_order_at = excluded.last_order_at
    WHERE (s.total_orders, s.lifetime_value, s.last_order_at)
          IS DISTINCT FROM (excluded.total_orders, excluded.lifetime_value, excluded.last_order_at);
$$;

CREATE OR REPLACE FUNCTION "customer_stats_rebuild"() RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    TRUNCATE customer_stats;
    INSERT INTO customer_stats (user_id, total_orders, lifetime_value, last_order_at)
    SELECT u.id, coalesce(o.total_orders, 0), coalesce(v.lifetime_value, 0), o.last_order_at
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

CREATE OR REPLACE FUNCTION "customer_stats_users_changed"() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO customer_stats (user_id)
                 SELECT id FROM new_users ORDER BY id
                 ON CONFLICT (user_id) DO NOTHING';
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'DELETE FROM customer_stats WHERE user_id IN (SELECT id FROM old_users)';
    ELSE
        PERFORM customer_stats_rebuild();
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION "customer_stats_orders_changed"() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO customer_stats AS s (user_id, total_orders, last_order_at)
                 SELECT user_id, count(*), max(created_at)
                 FROM new_orders
                 GROUP BY user_id
                 ORDER BY user_id
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

CREATE OR REPLACE FUNCTION "customer_stats_order_items_changed"() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO customer_stats AS s (user_id, lifetime_value)
                 SELECT o.user_id, sum(i.quantity * i.unit_price)
                 FROM new_items i
                 JOIN orders o ON o.id = i.order_id
                 GROUP BY o.user_id
                 ORDER BY o.user_id
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

-- Create index "customer_stats_lifetime_value_user_id_idx" to table: "customer_stats"
CREATE INDEX CONCURRENTLY "customer_stats_lifetime_value_user_id_idx" ON "customer_stats" ("lifetime_value", "user_id");
-- Drop index "customer_stats_active_value_idx" from table: "customer_stats"
DROP INDEX CONCURRENTLY "customer_stats_active_value_idx";
-- Modify "customer_stats" table
ALTER TABLE "customer_stats" DROP COLUMN "signed_up_at", DROP COLUMN "deleted_at";
