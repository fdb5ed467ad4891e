import { defineConfig } from "prisma/config";

// With a config file Prisma 6 does not read .env, and its CLI needs some DATABASE_URL to stay on
// the engine-free path; `generate` never connects.
process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/postgres";

export default defineConfig({ schema: "schema.prisma" });
