import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../../src/generated/prisma/client.ts";

export const databaseUrl = (): string => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run the tests with `npm test`");
  return url;
};

/**
 * "pglite" (one queued backend) or "server" (a real PostgreSQL with concurrent backends; a Citus
 * coordinator counts as one, see {@link onCitus}).
 */
export const target = (): "pglite" | "server" =>
  process.env.PHS_TEST_TARGET === "server" || onCitus() ? "server" : "pglite";

/** The database is a Citus coordinator with the tables distributed (scripts/citus-tests.ts). */
export const onCitus = (): boolean => process.env.PHS_TEST_TARGET === "citus";

/** The project's own generated client, as a user would create it. */
export function createPrisma(options: { max?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl(), max: options.max ?? 4, idleTimeoutMillis: 1000 });
  return new PrismaClient({ adapter });
}

/** A plain pg client for checks that must not go through the library (on `url`, else the test database). */
export async function withPg<T>(fn: (client: pg.Client) => Promise<T>, url = databaseUrl()): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A label no other test uses, so tests can share one database without seeing each other's rows. */
export const uniqueLabel = (prefix = "t"): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** The migrations this package ships (prisma/migrations), by name, in the order they apply. */
export const bundledMigrations = (): string[] =>
  readdirSync(new URL("../../prisma/migrations", import.meta.url), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

/** Each HNSW index of a table (in the search path): its definition and whether the planner may use it. */
export async function hnswIndexes(table: string): Promise<{ def: string; usable: boolean }[]> {
  return withPg(async (pg) => {
    const r = await pg.query(
      `SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AND i.indisready AS usable
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
        WHERE i.indrelid = to_regclass($1) AND am.amname = 'hnsw' ORDER BY 1`,
      [`"${table}"`],
    );
    return r.rows as { def: string; usable: boolean }[];
  });
}
