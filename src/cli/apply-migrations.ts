import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { DatabaseUnavailableError, ExtensionMissingError, HybridStoreError } from "../index.ts";
import { connectionFailure, describeMigrationFailure } from "../tooling/index.ts";
import { packagePaths } from "./package-paths.ts";

/** What a deploy did. */
export interface MigrateResult {
  /** Names of the migrations applied by this run (empty when the database was up to date). */
  readonly applied: string[];
  readonly seconds: number;
}

// The lock id `prisma migrate deploy` takes, so our deploy and Prisma's never run at once.
const PRISMA_LOCK = 72707369;

/**
 * Applies the package's bundled migrations to `url`, recording them in `_prisma_migrations`
 * exactly as `prisma migrate deploy` does (same table, name and checksum: the SHA-256 of the
 * file), so the user's own `prisma migrate deploy` later sees them as applied.
 *
 * Done here rather than by running the Prisma CLI so the CLI works the same whatever Prisma the
 * project has (6.16+, or 7, whose CLI downloads a schema engine first) and does not need a Prisma
 * CLI of its own, which would shadow the user's `npx prisma`. Each migration runs in one
 * transaction: a failed one leaves nothing behind and is simply retried on the next run.
 *
 * @throws HybridStoreError (MIGRATION_FAILED, DATABASE_UNAVAILABLE, EXTENSION_MISSING) with one
 *   line that says what to do.
 */
export async function migrateDeploy(url: string): Promise<MigrateResult> {
  const started = performance.now();
  const migrations = await bundledMigrations();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (cause) {
    throw connectionFailure(cause) ?? new DatabaseUnavailableError(`Cannot connect to the database: ${String(cause)}`);
  }
  client.on("error", () => undefined);
  const applied: string[] = [];
  try {
    await client.query("select pg_advisory_lock($1)", [PRISMA_LOCK]);
    await client.query(`create table if not exists "_prisma_migrations" (
      "id" varchar(36) primary key not null,
      "checksum" varchar(64) not null,
      "finished_at" timestamptz,
      "migration_name" varchar(255) not null,
      "logs" text,
      "rolled_back_at" timestamptz,
      "started_at" timestamptz not null default now(),
      "applied_steps_count" integer not null default 0)`);
    const { rows } = await client.query<{ name: string; finished: boolean }>(
      `select migration_name as name, finished_at is not null as finished
         from "_prisma_migrations" where rolled_back_at is null`,
    );
    const failed = rows.find((r) => !r.finished);
    if (failed) {
      const hint = describeMigrationFailure(`P3009 found failed migrations: migration_name="${failed.name}"`);
      throw new HybridStoreError("MIGRATION_FAILED", hint ?? `The migration ${failed.name} failed on an earlier run.`);
    }
    const done = new Set(rows.map((r) => r.name));
    for (const { name, sql } of migrations) {
      if (done.has(name)) continue;
      await applyOne(client, name, sql);
      applied.push(name);
    }
  } catch (error) {
    throw error instanceof HybridStoreError ? error : (connectionFailure(error) ?? error);
  } finally {
    await client.end().catch(() => undefined);
  }
  return { applied, seconds: (performance.now() - started) / 1000 };
}

async function applyOne(client: pg.Client, name: string, sql: string): Promise<void> {
  try {
    await client.query("begin");
    await client.query(sql);
    await client.query(
      `insert into "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       values ($1, $2, now(), $3, now(), 1)`,
      [randomUUID(), createHash("sha256").update(sql).digest("hex"), name],
    );
    await client.query("commit");
  } catch (cause) {
    await client.query("rollback").catch(() => undefined);
    const message = cause instanceof Error ? cause.message : String(cause);
    throw connectionFailure(cause) ?? migrationError(message, name, cause);
  }
}

/** One line for a migration that failed now: the known causes say what to do, anything else quotes the server. */
function migrationError(output: string, migration: string, cause?: unknown): HybridStoreError {
  // No row was left behind (the migration ran in a transaction), so no `migrate resolve` is needed.
  const known = describeMigrationFailure(`${output}\nmigration_name="${migration}"`)?.replace(
    /, then run `npx prisma migrate resolve[^.]*/,
    ", then run `npx prisma-hybrid-store migrate` again",
  );
  if (known && /pgvector/.test(known)) return new ExtensionMissingError(known, { cause });
  if (known) return new HybridStoreError("MIGRATION_FAILED", known, { cause });
  return new HybridStoreError("MIGRATION_FAILED", `Migration ${migration} failed: ${output.split("\n")[0]}`, {
    cause,
  });
}

async function bundledMigrations(): Promise<{ name: string; sql: string }[]> {
  const names = (await readdir(packagePaths.migrations, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      sql: await readFile(join(packagePaths.migrations, name, "migration.sql"), "utf8"),
    })),
  );
}
