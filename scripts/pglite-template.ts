/**
 * A migrated PGlite data directory that `npm test`'s workers copy instead of each running initdb
 * and `prisma migrate deploy` (measured under load: a fresh start 12.5 s CPU, a start from a copy
 * 1.1 s; the migration some more). Built once with the real `prisma migrate deploy`, then kept in
 * node_modules/.cache under a key of everything that shapes it: the migrations, src/db/embedded.ts
 * and the PGlite, pgvector and Prisma versions. A change to any of them builds a new one.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmbeddedDatabase } from "../src/db/embedded.ts";
import { capture } from "./test-process.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const cache = join(root, "node_modules", ".cache", "prisma-hybrid-store");

/**
 * A hash of what shapes a migrated database: the migrations, the Prisma version that applies
 * them, and `extra` (files and packages of the database itself).
 */
export function migratedKey(extra: { files?: readonly string[]; packages?: readonly string[] } = {}): string {
  const hash = createHash("sha256");
  const migrations = join(root, "prisma", "migrations");
  for (const file of readdirSync(migrations, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(migrations, file);
    hash.update(`${file}\0`);
    if (file.endsWith(".sql") || file.endsWith(".toml")) hash.update(readFileSync(path));
  }
  for (const file of extra.files ?? []) hash.update(readFileSync(join(root, file)));
  for (const pkg of ["prisma", ...(extra.packages ?? [])]) {
    const manifest = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as {
      version: string;
    };
    hash.update(`${pkg}@${manifest.version}\0`);
  }
  return hash.digest("hex").slice(0, 16);
}

const templateKey = () =>
  migratedKey({
    files: ["src/db/embedded.ts"],
    packages: ["@electric-sql/pglite", "@electric-sql/pglite-pgvector"],
  });

/** The template's data directory (copy it; never start it), built first if it is not cached. */
export async function pgliteTemplate(): Promise<string> {
  const dir = join(cache, `pglite-template-${templateKey()}`);
  const done = join(dir, "migrated");
  if (existsSync(done)) return join(dir, "pgdata");
  // Built beside, then renamed into place: a run that stops half-way leaves no broken template.
  const building = `${dir}.${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  try {
    const db = await startEmbeddedDatabase({ dataDir: join(building, "pgdata"), handleSignals: false });
    try {
      const migrate = await capture("npx", ["prisma", "migrate", "deploy"], { ...process.env, DATABASE_URL: db.url });
      if (migrate.code !== 0) throw new Error(`prisma migrate deploy failed:\n${migrate.output}`);
    } finally {
      await db.stop();
    }
    writeFileSync(join(building, "migrated"), "");
    // Templates of earlier keys go (not the ones other runs are building: they have a `.pid`).
    for (const old of readdirSync(cache)) {
      if (/^pglite-template-[0-9a-f]{16}$/.test(old)) rmSync(join(cache, old), { recursive: true, force: true });
    }
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (existsSync(done)) return join(dir, "pgdata"); // another run built it meanwhile
    throw error;
  }
  return join(dir, "pgdata");
}
