-- Drop "seed_runs" table
DROP TABLE "seed_runs";
