import { defineConfig } from "prisma/config";

// Prisma 7 takes the URL from here; `env("DATABASE_URL")` would throw when it is unset, and
// `prisma generate` needs no database.
export default defineConfig({
  schema: "schema.prisma",
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" },
});
