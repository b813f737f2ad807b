-- Connections to the whole server, against max_connections minus the slots reserved for
-- superusers.
SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::bigint,
       (current_setting('max_connections')::int
        - current_setting('superuser_reserved_connections')::int)::bigint
