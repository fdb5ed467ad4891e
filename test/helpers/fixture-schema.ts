/**
 * A schema fixture (test/fixtures/<name>: schema.prisma and its Prisma migrations) migrated as
 * a user would: the tables from its own migrations, then what `generate` writes for its
 * markings. PostgreSQL schema names can be renamed on the way, so each run has its own.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { PrismaPg } from "@prisma/adapter-pg";
import { type GenerateResult, generateMigration } from "../../src/cli/generate-migration.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl, withPg } from "./db.ts";

export interface MigratedFixture {
  /** The copied fixture, schema names renamed. */
  readonly dir: string;
  readonly schemaText: string;
  readonly migrationsDir: string;
  readonly generated: GenerateResult;
  /** Drops the schemas it made and the copy. */
  cleanUp(): Promise<void>;
}

/**
 * Copies `test/fixtures/<name>`, replaces every `"<from>"` by `"<to>"` in its schema and
 * migrations (`rename`), runs `generate`, and applies every migration in order, each with
 * `searchPath` first on the search path (where unqualified tables go), then public (pgvector).
 */
export async function migrateFixture(options: {
  readonly name: string;
  readonly searchPath: string;
  readonly rename?: Readonly<Record<string, string>>;
  readonly embedders?: ReadonlyMap<string, number>;
}): Promise<MigratedFixture> {
  const dir = mkdtempSync(join(tmpdir(), `phs-${options.name}-`));
  // Without a client generated into the fixture (test/fixtures/*/generated): only its schema and migrations count.
  cpSync(fileURLToPath(new URL(`../fixtures/${options.name}`, import.meta.url)), dir, {
    recursive: true,
    filter: (src) => basename(src) !== "generated",
  });
  const rename = (text: string) =>
    Object.entries(options.rename ?? {}).reduce((t, [from, to]) => t.replaceAll(`"${from}"`, `"${to}"`), text);
  const migrationsDir = join(dir, "migrations");
  const migrations = () =>
    readdirSync(migrationsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(migrationsDir, e.name, "migration.sql"))
      .sort();
  for (const file of [join(dir, "schema.prisma"), ...migrations()]) {
    writeFileSync(file, rename(readFileSync(file, "utf8")));
  }
  const generated = await generateMigration({ schema: join(dir, "schema.prisma"), embedders: options.embedders });
  assert.ok(generated.file, "generate wrote a migration");
  assert.deepEqual(generated.warnings, [], "the fixture's migrations create the extension before its tables");
  const schemas = [options.searchPath, ...Object.values(options.rename ?? {})];
  await withPg(async (c) => {
    await c.query(`create schema if not exists "${options.searchPath}"`);
    for (const file of migrations()) {
      await c.query("begin");
      await c.query(`set local search_path to "${options.searchPath}", public`);
      await c.query(readFileSync(file, "utf8"));
      await c.query("commit");
    }
  });
  return {
    dir,
    schemaText: readFileSync(join(dir, "schema.prisma"), "utf8"),
    migrationsDir,
    generated,
    async cleanUp() {
      await withPg(async (c) => {
        for (const s of new Set(schemas)) if (s !== "public") await c.query(`drop schema if exists "${s}" cascade`);
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Prisma client whose schema text (what checkDatabase and the extension read the markings
 * from) is `schemaText`, with the adapter's schema option `schema` when given. Its generated
 * models stay the bundled ones: only raw SQL goes through it.
 */
export function clientWithSchema(schemaText: string, schema?: string): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl(), max: 2 }, schema ? { schema } : undefined);
  const client = new PrismaClient({ adapter });
  const config = (client as unknown as { _engineConfig: { inlineSchema: string } })._engineConfig;
  assert.equal(typeof config.inlineSchema, "string", "the client carries its schema text");
  config.inlineSchema = schemaText;
  return client;
}

/**
 * Generates the migrated copy's own Prisma client (its schema names renamed, into
 * `<dir>/generated` as the fixture's generator says) and imports it. The copy reaches this
 * repository's node_modules through a link, so no two test files write one client.
 */
export async function importFixtureClient<C>(fixture: MigratedFixture): Promise<FixtureClientModule<C>> {
  const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
  symlinkSync(join(repoRoot, "node_modules"), join(fixture.dir, "node_modules"), "dir");
  const prisma = join(repoRoot, "node_modules", "prisma", "build", "index.js");
  await promisify(execFile)(process.execPath, [prisma, "generate", "--schema", join(fixture.dir, "schema.prisma")], {
    cwd: repoRoot,
  });
  const client = join(fixture.dir, "generated", "client.ts");
  return (await import(pathToFileURL(client).href)) as FixtureClientModule<C>;
}

/** What a test uses of a generated client module. */
export interface FixtureClientModule<C> {
  readonly PrismaClient: new (options: object) => C;
  readonly Prisma: { readonly DbNull: unknown; readonly JsonNull: unknown; readonly AnyNull: unknown };
}

export type FixtureRow = Record<string, unknown>;

/** The parts of a fixture client's extended delegates the tests call (their types are checked by tsc elsewhere). */
export interface FixtureDelegate {
  create(args: object): Promise<FixtureRow>;
  createMany(args: object): Promise<{ count: number }>;
  update(args: object): Promise<FixtureRow>;
  findMany(args: object): Promise<FixtureRow[]>;
  similaritySearch(args: object): Promise<FixtureRow[]>;
  explainSearch(args: object): Promise<{ rows: FixtureRow[]; plan: { kind: string } }>;
  textSearch(args: object): Promise<FixtureRow[]>;
  hybridSearch(args: object): Promise<FixtureRow[]>;
}
