import { relative } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { type Command, note, print } from "../command.ts";
import type { GenerateResult } from "../generate-migration.ts";
import { BIN } from "../report-error.ts";
import { UsageError } from "../usage-error.ts";

const spec = {
  command: "generate",
  options: {
    schema: { type: "string" },
    migrations: { type: "string" },
    name: { type: "string" },
    embedder: { type: "string" },
    "dry-run": { type: "boolean" },
    check: { type: "boolean" },
  },
} as const;

export const generateCommand: Command = {
  name: "generate",
  summary: "write a Prisma migration for the @embed fields of your schema",
  help: `Usage: ${BIN} generate [--schema prisma/schema.prisma] [--migrations DIR] [--name NAME]
                    [--embedder KEY=DIMS[,KEY=DIMS]] [--dry-run | --check]

Reads the /// @embed(from: ...) markings on the Unsupported("vector(N)") fields of your schema
and writes one migration folder with what they need and your migrations do not create yet:
CREATE EXTENSION vector, the save hook's write-path trigger, the generated "searchVector"
full-text column and its GIN index, the HNSW index (vector_cosine_ops, m 16,
ef_construction 128). Tables and columns stay Prisma's: create them with \`prisma migrate diff\`.
Running it again writes nothing once everything is migrated. A bad marking (unknown or
non-String source field, dimensions unlike the embedder's, a missing companion field, a
datasource whose extensions lack vector) is reported, one line each, and nothing is written.
See docs/your-models.md.

Options:
  --schema PATH      schema file, or folder of .prisma files (default prisma/schema.prisma)
  --migrations DIR   migrations folder (default: "migrations" next to the schema)
  --name NAME        migration folder name after the timestamp (default hybrid_store)
  --embedder K=N     dimensions of the embedder keys your markings name (default: 384 for "default")
  --dry-run          print what would be written, write nothing
  --check            write nothing; exit 1 when something marked is not migrated (for CI)
  -h, --help         show this help

Then: npx prisma migrate deploy (or npx ${BIN} migrate for the bundled models)`,

  async run(argv) {
    const { values } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    const embedders = parseEmbedders(values.embedder);
    // Loaded here, not at the top: --help and usage errors stay fast without the library.
    const [{ InvalidSchemaError }, { formatMarkingIssue }, { generateMigration }] = await Promise.all([
      import("../../index.ts"),
      import("../../tooling/index.ts"),
      import("../generate-migration.ts"),
    ]);
    let result: GenerateResult;
    try {
      result = await generateMigration({
        schema: values.schema ?? "prisma/schema.prisma",
        migrations: values.migrations,
        name: values.name,
        embedders,
        dryRun: values["dry-run"] || values.check,
      });
    } catch (error) {
      if (!(error instanceof InvalidSchemaError)) throw error;
      for (const issue of error.issues) note(`${BIN} generate: ${formatMarkingIssue(issue)}`);
      note(`${BIN} generate: ${error.issues.length} problem(s); nothing written.`);
      return 1;
    }
    for (const warning of result.warnings) note(`${BIN} generate: warning: ${warning}`);
    const rel = (p: string) => relative(process.cwd(), p) || ".";
    const fields = result.markings.map((m) => `${m.model}.${m.field}`).join(", ") || "none";
    if (values.check && result.parts.length > 0) {
      note(`${BIN} generate: ${result.parts.length} step(s) for ${fields} not migrated yet; run ${BIN} generate.`);
      return 1;
    }
    if (result.parts.length === 0) {
      print(`Marked fields: ${fields}. Nothing to generate: ${rel(result.migrationsDir)} already has it all.`);
    } else if (!result.file) {
      print(result.parts.map((p) => `-- ${p.comment}\n${p.sql}`).join("\n\n"));
    } else {
      print(`Marked fields: ${fields}. Wrote ${rel(result.file)} (${result.parts.length} step(s)).`);
    }
    return 0;
  },
};

function parseEmbedders(value: string | undefined): Map<string, number> {
  const embedders = new Map<string, number>();
  for (const item of value ? value.split(",") : []) {
    const m = /^\s*(\w+)=(\d+)\s*$/.exec(item);
    if (!m || Number(m[2]) < 1) throw new UsageError(`--embedder expects KEY=DIMS, received "${item}"`, "generate");
    embedders.set(m[1]!, Number(m[2]));
  }
  return embedders;
}
