-- Drop "auth_tokens" table
DROP TABLE "auth_tokens";
