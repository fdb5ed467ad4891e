import { existsSync } from "node:fs";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// Prisma 6 skips .env when a config file exists, and with no DATABASE_URL at all its CLI falls
// back to the Rust engine and tries to download it (which fails offline). So: always set one.
if (!process.env.DATABASE_URL && existsSync(".env")) process.loadEnvFile(".env");
process.env.DATABASE_URL ??= "postgresql://postgres:postgres@127.0.0.1:5433/postgres?sslmode=disable";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  // max 1: the embedded server serves one backend; idleTimeoutMillis keeps CLI commands from
  // idling on pg's pool for 10 s after they finish.
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.DATABASE_URL as string, max: 1, idleTimeoutMillis: 200 }),
});
