-- Age in transactions of the oldest unfrozen row ID of the current database.
SELECT age(datfrozenxid)::bigint FROM pg_database WHERE datname = current_database()
