import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { InvalidArgumentError, InvalidSchemaError } from "../index.ts";
import {
  datasourceProvider,
  hybridSql,
  readMarkings,
  readMigratedObjects,
  type SqlPart,
  type VectorMarking,
} from "../tooling/index.ts";
import { prismaFiles } from "./init-project.ts";

export interface GenerateOptions {
  /** A schema file or a folder of .prisma files. */
  readonly schema: string;
  /** Default: `migrations` next to the schema file (in a folder: next to the file with the datasource). */
  readonly migrations?: string | undefined;
  /** Migration folder name after the timestamp. Default `hybrid_store`. */
  readonly name?: string | undefined;
  /** Dimensions of embedder keys used by `@embed(embedder: "...")`, besides the default 384. */
  readonly embedders?: ReadonlyMap<string, number> | undefined;
  /** Report what would be written, write nothing. */
  readonly dryRun?: boolean | undefined;
}

export interface GenerateResult {
  readonly markings: readonly VectorMarking[];
  readonly parts: readonly SqlPart[];
  readonly migrationsDir: string;
  /** The migration.sql written; undefined when everything marked was already migrated (or dryRun). */
  readonly file: string | undefined;
  /** Problems of the migrations folder that writing cannot fix (one line each). */
  readonly warnings: readonly string[];
}

/**
 * Writes one Prisma migration with what the schema's `@embed` markings need and the migrations
 * folder does not create yet. Everything is checked before anything is written.
 *
 * @throws InvalidSchemaError listing every bad marking; InvalidArgumentError for a missing schema.
 */
export async function generateMigration(options: GenerateOptions): Promise<GenerateResult> {
  const schemaPath = resolve(options.schema);
  const info = await stat(schemaPath).catch(() => undefined);
  if (!info) throw new InvalidArgumentError(`No Prisma schema at ${options.schema}.`);
  const files = info.isDirectory() ? await prismaFiles(schemaPath) : [schemaPath];
  const texts = await Promise.all(files.map(async (file) => ({ file, text: await readFile(file, "utf8") })));
  const text = texts.map((t) => t.text).join("\n");
  // Where `init` and Prisma put them: next to the file with the datasource.
  const datasourceFile = texts.find((t) => datasourceProvider(t.text) !== undefined)?.file ?? schemaPath;
  const { markings, issues } = readMarkings(text, options.embedders);
  if (issues.length > 0) throw new InvalidSchemaError(issues);
  const migrationsDir = resolve(options.migrations ?? join(dirname(datasourceFile), "migrations"));
  const migrated = readMigratedObjects(migrationsDir);
  const parts = hybridSql(markings, migrated);
  const warnings = markings.length > 0 ? orderWarnings(migrated.vectorTypeBeforeExtension) : [];
  if (parts.length === 0 || options.dryRun) return { markings, parts, migrationsDir, file: undefined, warnings };
  const name = options.name ?? "hybrid_store";
  if (!/^\w+$/.test(name)) {
    throw new InvalidArgumentError(
      `The migration name must be letters, digits and _, received ${JSON.stringify(name)}.`,
    );
  }
  const folder = join(migrationsDir, `${await nextTimestamp(migrationsDir)}_${name}`);
  await mkdir(folder, { recursive: true });
  const lock = join(migrationsDir, "migration_lock.toml");
  if (!existsSync(lock)) await writeFile(lock, 'provider = "postgresql"\n', { flag: "wx" });
  const file = join(folder, "migration.sql");
  await writeFile(file, migrationText(parts), { flag: "wx" });
  return { markings, parts, migrationsDir, file, warnings };
}

/**
 * `generate`'s migration comes after the user's, so its `CREATE EXTENSION` is too late for a
 * table migration that already uses the type: Prisma writes the extension first only when the
 * datasource lists it.
 */
function orderWarnings(migration: string | undefined): string[] {
  if (migration === undefined) return [];
  return [
    `migration ${migration} creates a vector column before any migration creates the vector extension, so it fails on a database without the extension. ` +
      'Add `extensions = [vector]` to the datasource (and `previewFeatures = ["postgresqlExtensions"]` to the generator) so `prisma migrate diff` writes CREATE EXTENSION first, ' +
      "or start that migration with CREATE EXTENSION IF NOT EXISTS vector; (a database where it was already applied is unaffected).",
  ];
}

function migrationText(parts: readonly SqlPart[]): string {
  const header = [
    "-- Written by `prisma-hybrid-store generate` from the @embed markings of the schema: what",
    "-- Prisma's schema language cannot express. `prisma migrate diff` does not know these objects",
    "-- and proposes dropping them: never apply such a diff as is (docs/your-models.md).",
  ];
  return `${[header.join("\n"), ...parts.map((p) => `-- ${p.comment}\n${p.sql}`)].join("\n\n")}\n`;
}

/** Now as Prisma's YYYYMMDDHHMMSS, or one second after the newest migration if that is later. */
async function nextTimestamp(dir: string): Promise<string> {
  const now = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const stamps = existsSync(dir)
    ? (await readdir(dir)).map((n) => /^(\d{14})_/.exec(n)?.[1]).filter((s): s is string => s !== undefined)
    : [];
  const newest = stamps.sort().at(-1);
  if (!newest || newest < now) return now;
  const next = new Date(
    Date.UTC(
      +newest.slice(0, 4),
      +newest.slice(4, 6) - 1,
      +newest.slice(6, 8),
      +newest.slice(8, 10),
      +newest.slice(10, 12),
      +newest.slice(12, 14) + 1,
    ),
  );
  return next.toISOString().replace(/\D/g, "").slice(0, 14);
}
