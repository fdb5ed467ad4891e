import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { InvalidArgumentError, SchemaMismatchError } from "../index.ts";
import { datasourceProvider, modelSignature, type SchemaBlock, schemaBlocks, schemaModels } from "../tooling/index.ts";
import {
  newSchemaText,
  type ProjectPrisma,
  prisma6GeneratorWarnings,
  prismaConfigText,
  projectPrisma,
} from "./new-schema.ts";
import { packagePaths } from "./package-paths.ts";

const MODELS = ["Document", "Annotation"] as const;
const LOCK = "migration_lock.toml";

/** What `init` did. Paths are absolute. */
export interface InitResult {
  readonly schemaFile: string;
  /** Files init created because the project had none: the schema and prisma.config.ts. */
  readonly created: string[];
  /** Settings the existing schema lacks for the installed Prisma (left for the user to change). */
  readonly warnings: string[];
  readonly modelsAdded: string[];
  readonly modelsPresent: string[];
  /** Fields of the user's own on Document/Annotation (`Document.pinned`): kept, not migrated by us. */
  readonly ownFields: string[];
  readonly migrationsDir: string;
  readonly migrationsCopied: string[];
  readonly migrationsPresent: string[];
  /** Migrations of ours whose folder exists with other content: left untouched. */
  readonly migrationsDiffering: string[];
}

/**
 * Adds the Document and Annotation models to the project's Prisma schema (a file, or a folder of
 * .prisma files; a project without one gets a new schema, with generator and datasource settings
 * right for its Prisma 6 or 7, and a prisma.config.ts) and copies the bundled migrations into its migrations folder. Everything is
 * checked before anything is written; running it again changes nothing; files it did not
 * create are never overwritten.
 *
 * @throws SchemaMismatchError if the schema has a Document or Annotation model that differs;
 *   InvalidArgumentError for a missing schema or a provider other than PostgreSQL.
 */
export async function initProject(options: { schema: string; migrations?: string | undefined }): Promise<InitResult> {
  const schemaPath = resolve(options.schema);
  let info = await stat(schemaPath).catch(() => undefined);
  const created: string[] = [];
  if (!info) {
    if (!schemaPath.endsWith(".prisma")) {
      throw new InvalidArgumentError(`No Prisma schema folder at ${options.schema}.`);
    }
    created.push(...(await createSchema(schemaPath, projectPrisma(process.cwd()))));
    info = await stat(schemaPath);
  }
  const files = info.isDirectory() ? await prismaFiles(schemaPath) : [schemaPath];
  const texts = await Promise.all(files.map(async (file) => ({ file, text: await readFile(file, "utf8") })));
  const withDatasource = texts.find((t) => datasourceProvider(t.text) !== undefined);
  const provider = withDatasource && datasourceProvider(withDatasource.text);
  if (!provider) throw new InvalidArgumentError(`No datasource block found in ${options.schema}.`);
  if (provider !== "postgresql" && provider !== "postgres") {
    throw new InvalidArgumentError(
      `Your datasource uses "${provider}"; prisma-hybrid-store needs PostgreSQL (with pgvector).`,
    );
  }

  const theirs = new Map<string, SchemaBlock>();
  for (const { text } of texts) for (const b of schemaBlocks(text)) if (b.kind === "model") theirs.set(b.name, b);
  const ours = schemaBlocks(await readFile(packagePaths.schema, "utf8")).filter((b) => b.kind === "model");
  const toAdd: SchemaBlock[] = [];
  const present: string[] = [];
  const conflicts: string[] = [];
  const ownFields: string[] = [];
  for (const name of MODELS) {
    const mine = ours.find((b) => b.name === name);
    if (!mine) throw new Error(`bundled schema lacks model ${name}`);
    const existing = theirs.get(name);
    if (!existing) toAdd.push(mine);
    else {
      const { problems, own } = compareModel(mine, existing, theirs);
      if (problems.length === 0) {
        present.push(name);
        ownFields.push(...own.map((f) => `${name}.${f}`));
      } else conflicts.push(`model ${name} (${problems.slice(0, 3).join("; ")}${problems.length > 3 ? "; ..." : ""})`);
    }
  }
  if (conflicts.length > 0) {
    throw new SchemaMismatchError(
      `Your schema already has ${conflicts.join(" and ")}, which differs from prisma-hybrid-store's. ` +
        "Rename your model, or make it match (see docs/existing-schema.md). Nothing was changed.",
    );
  }

  const schemaFile = info.isDirectory() ? join(schemaPath, "prisma-hybrid-store.prisma") : schemaPath;
  const migrationsDir = resolve(options.migrations ?? join(dirname(withDatasource?.file ?? schemaFile), "migrations"));
  const plan = await planMigrations(migrationsDir);

  if (toAdd.length > 0) await appendModels(schemaFile, toAdd);
  for (const name of plan.copy) {
    await mkdir(join(migrationsDir, name), { recursive: true });
    await writeFile(join(migrationsDir, name, "migration.sql"), plan.sql.get(name)!, { flag: "wx" });
  }
  if (plan.writeLock) await writeFile(join(migrationsDir, LOCK), plan.lock, { flag: "wx" });
  return {
    schemaFile,
    created,
    warnings: created.length > 0 ? [] : generatorWarnings(texts.map((t) => t.text)),
    modelsAdded: toAdd.map((b) => b.name),
    modelsPresent: present,
    ownFields,
    migrationsDir,
    migrationsCopied: plan.copy,
    migrationsPresent: plan.present,
    migrationsDiffering: plan.differing,
  };
}

/**
 * A `@default` the database applies itself (a literal, `now()`, `autoincrement()`, `dbgenerated()`,
 * `sequence()`): `uuid()`, `cuid()` and the like, and `@updatedAt`, are filled by Prisma only,
 * so a raw INSERT (the LlamaIndex store's) would leave such a required column NULL.
 */
const DATABASE_DEFAULT = /@default\((?!\s*(uuid|cuid|nanoid|ulid)\s*\()/;

/**
 * How the user's model compares with ours: every line of ours must be there (comments, spacing
 * and order aside). Lines of their own are fine when the library's own inserts (ingest, the
 * LlamaIndex store, which write only our fields) still work: optional, list, relation fields,
 * fields with a database default, and `@@index`/`@@unique`. A required field without a default, or `@@map`
 * and the like, would break those writes or the bundled migrations, so they are problems.
 */
function compareModel(ours: SchemaBlock, theirs: SchemaBlock, models: ReadonlyMap<string, SchemaBlock>) {
  const mine = new Set(modelSignature(ours));
  const their = modelSignature(theirs);
  const problems = [...mine].filter((line) => !their.includes(line)).map((line) => `missing "${line}"`);
  const fields = new Map(schemaModels(theirs.text)[0]?.fields.map((f) => [f.name, f]));
  const own: string[] = [];
  for (const line of their.filter((l) => !mine.has(l))) {
    if (/^@@(index|unique)\b/.test(line)) continue;
    const field = line.startsWith("@@") ? undefined : fields.get(line.split(" ")[0]!);
    if (!field) {
      problems.push(`extra "${line}"`);
      continue;
    }
    if (models.has(field.type)) continue; // a relation field: no column of its own
    if (field.optional || field.list || DATABASE_DEFAULT.test(field.attributes)) own.push(field.name);
    else {
      problems.push(
        `extra required "${line}" without a database default: the library's own inserts could not fill it; make it optional`,
      );
    }
  }
  return { problems, own };
}

function generatorWarnings(texts: string[]): string[] {
  try {
    return prisma6GeneratorWarnings(texts, projectPrisma(process.cwd()));
  } catch {
    return []; // no Prisma installed here (yet): nothing to compare with
  }
}

/** A new schema file and a prisma.config.ts (unless the project has one); returns the paths written. */
async function createSchema(schemaPath: string, prisma: ProjectPrisma): Promise<string[]> {
  await mkdir(dirname(schemaPath), { recursive: true });
  await writeFile(schemaPath, newSchemaText(prisma), { flag: "wx" });
  const cwd = process.cwd();
  if (CONFIG_FILES.some((name) => existsSync(join(cwd, name)))) return [schemaPath];
  const config = join(cwd, "prisma.config.ts");
  await writeFile(config, prismaConfigText(prisma.major, relative(cwd, schemaPath).split(sep).join("/")), {
    flag: "wx",
  });
  return [schemaPath, config];
}

const CONFIG_FILES = [
  "prisma.config.ts",
  "prisma.config.mts",
  "prisma.config.js",
  "prisma.config.mjs",
  "prisma.config.cjs",
  "prisma.config.cts",
  ".config/prisma.ts",
];

async function planMigrations(dir: string) {
  const bundled = (await readdir(packagePaths.migrations, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const sql = new Map<string, string>();
  const copy: string[] = [];
  const present: string[] = [];
  const differing: string[] = [];
  for (const name of bundled) {
    const text = await readFile(join(packagePaths.migrations, name, "migration.sql"), "utf8");
    sql.set(name, text);
    const target = join(dir, name, "migration.sql");
    if (!existsSync(target)) copy.push(name);
    else if ((await readFile(target, "utf8")) === text) present.push(name);
    else differing.push(name);
  }
  const lock = await readFile(join(packagePaths.migrations, LOCK), "utf8");
  const lockPath = join(dir, LOCK);
  const writeLock = !existsSync(lockPath);
  if (!writeLock) {
    const provider = /provider\s*=\s*"([^"]+)"/.exec(await readFile(lockPath, "utf8"))?.[1];
    if (provider && provider !== "postgresql") {
      throw new InvalidArgumentError(
        `${relative(process.cwd(), lockPath)} is for "${provider}"; prisma-hybrid-store's migrations are for PostgreSQL. Nothing was changed.`,
      );
    }
  }
  return { sql, copy, present, differing, lock, writeLock };
}

async function appendModels(file: string, blocks: readonly SchemaBlock[]): Promise<void> {
  const header =
    "// prisma-hybrid-store: Document and Annotation, added by `npx prisma-hybrid-store init`.\n" +
    "// The vector columns, triggers and search indexes come with its migrations; keep these\n" +
    "// models as they are (see docs/existing-schema.md).\n";
  const body = `${header}\n${blocks.map((b) => b.text).join("\n\n")}\n`;
  const existing = existsSync(file) ? await readFile(file, "utf8") : "";
  const separator = existing === "" ? "" : existing.endsWith("\n") ? "\n" : "\n\n";
  await writeFile(file, `${existing}${separator}${body}`);
}

export async function prismaFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "migrations") files.push(...(await prismaFiles(path)));
    else if (entry.isFile() && entry.name.endsWith(".prisma")) files.push(path);
  }
  return files.sort();
}
