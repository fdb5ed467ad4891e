/**
 * The CLI is a user of the library: it imports the library through src/index.ts (what the
 * package exports), its own files, and the generated client. The deep imports it still makes are
 * listed here, each with why it is not (yet) public; a new one fails this test.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../../src", import.meta.url));

/** `module: names` the CLI still takes from inside the library, and why. */
const INTERNAL: Readonly<Record<string, string>> = {
  "db/embedded.ts: DEFAULT_DATA_DIR": "the `db` command's default directory; not an option users set in code",
  "schema/schema-blocks.ts: datasourceProvider, modelSignature, SchemaBlock, schemaBlocks":
    "`init` edits the user's schema.prisma text; a CLI concern the library's API has no use for",
  "schema/schema-blocks.ts: datasourceProvider": "`generate` writes a migration for the datasource's provider",
  "schema/model-meta.ts: VECTOR_DIMENSIONS":
    "`index --halfvec` writes the halfvec cast for the bundled migrations' vector(384) columns",
  "schema/hybrid-sql.ts: hybridSql, SqlPart": "`generate` writes the SQL of a migration",
  "schema/markings.ts: readMarkings, VectorMarking": "`generate` reads the markings of the user's schema file",
  "schema/migrated-objects.ts: readMigratedObjects": "`generate` compares with what is migrated",
  "errors.ts: formatMarkingIssue": "`generate` prints each bad marking as the library's error does",
  "db/execute.ts: toHybridStoreError": "the CLI's error report maps Prisma's errors the way the library does",
  "db/check.ts: describeMigrationFailure": "reads `prisma migrate deploy` output for the CLI's `migrate`",
  "db/connect.ts: connectionFailure": "tells a refused connection from other errors, as the library does",
  "embed/minilm-options.ts: resolveMiniLmOptions": "where the CLI looks for the model (`--model-dir`)",
  "embed/transformers-module.ts: loadTransformers": "the CLI's message when @huggingface/transformers is missing",
  "ingest/chunk-text.ts: DEFAULT_CHUNK_OPTIONS": "the `ingest` command's --help defaults",
  "ingest/collect-files.ts: collectFiles": "the `ingest` command's directory walk",
  "db/citus-distribute.ts: distributeOnCitus, requireCitus, tablePlacement": "the `distribute` command",
  "db/citus-shards.ts: incompletePlacements, inspectPlacements": "the `distribute` command",
};

test("the CLI takes from the library only what src/index.ts exports, and the listed internals", () => {
  const cli = join(src, "cli");
  const found = new Set<string>();
  for (const file of readdirSync(cli, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(cli, file), "utf8");
    for (const m of text.matchAll(/import (?:type )?\{([^}]*)\} from "(\.[^"]+)"/g)) {
      const target = relative(src, resolve(dirname(join(cli, file)), m[2]!));
      if (target.startsWith("cli/") || target.startsWith("generated/") || target === "index.ts") continue;
      const names = m[1]!
        .split(",")
        .map((n) => n.replace(/^\s*type\s+/, "").trim())
        .filter(Boolean)
        .sort();
      found.add(`${target}: ${names.join(", ")}`);
    }
  }
  const listed = Object.keys(INTERNAL).map((k) => {
    const [module, names] = k.split(": ");
    return `${module}: ${names!.split(", ").sort().join(", ")}`;
  });
  assert.deepEqual(
    [...found].filter((f) => !listed.includes(f)),
    [],
    "imports not through src/index.ts",
  );
});
