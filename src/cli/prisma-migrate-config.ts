// The Prisma config `prisma-hybrid-store migrate` passes to `prisma migrate deploy --config`, so
// migrating does not depend on the working directory or on a prisma.config.ts of the user's.
// The CLI always sets DATABASE_URL; the pool stays at one connection (the embedded server has
// one backend) and idles out fast so the command ends as soon as it is done.
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

const url = process.env.DATABASE_URL;
if (!url) throw new Error("prisma-hybrid-store migrate: DATABASE_URL is not set");

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaPg({ connectionString: url, max: 1, idleTimeoutMillis: 200 }),
});
