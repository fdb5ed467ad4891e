-- Enable pgvector. Needs a role that may create extensions (superuser, or a trusted-extension
-- setup). If this fails with "permission denied", ask your database administrator to run
--   CREATE EXTENSION IF NOT EXISTS vector
-- in this database once, then run `prisma migrate deploy` again.
CREATE EXTENSION IF NOT EXISTS vector;
