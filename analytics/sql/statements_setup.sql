-- Everything needed to decide whether pg_stat_statements can be read, in one round trip.
-- Whether the library is loaded is read from shared_preload_libraries, which lists it by name
-- (possibly with a directory or spaces around it). Roles without pg_read_all_settings do not
-- see that setting in pg_settings, and then preloaded is NULL: unknown.
SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS available,
       e.extname IS NOT NULL AS created,
       n.nspname AS schema,
       (SELECT EXISTS (
                   SELECT FROM unnest(string_to_array(p.setting, ',')) AS lib
                   WHERE btrim(lib) ~ '(^|/)pg_stat_statements$')
        FROM pg_settings p
        WHERE p.name = 'shared_preload_libraries') AS preloaded,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
           OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS readable,
       coalesce((
           SELECT array_agg(a.attname::text ORDER BY a.attnum)
           FROM pg_attribute a
           WHERE n.nspname IS NOT NULL
             AND a.attrelid = to_regclass(format('%I.%I', n.nspname, 'pg_stat_statements'))
             AND a.attnum > 0 AND NOT a.attisdropped
       ), '{}') AS columns
FROM (SELECT) AS one
LEFT JOIN pg_extension e ON e.extname = 'pg_stat_statements'
LEFT JOIN pg_namespace n ON n.oid = e.extnamespace
