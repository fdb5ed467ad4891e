import { relative } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { type Command, print } from "../command.ts";
import { BIN } from "../report-error.ts";

const spec = {
  command: "init",
  options: { schema: { type: "string" }, migrations: { type: "string" } },
} as const;

export const initCommand: Command = {
  name: "init",
  summary: "add the Document/Annotation models and migrations to your Prisma project",
  help: `Usage: ${BIN} init [--schema prisma/schema.prisma] [--migrations DIR]

Adds the Document and Annotation models to your Prisma schema and copies the bundled
migrations (pgvector, tables, save-hook triggers, search indexes) into your migrations folder.
Run it again at any time: models already there and migrations already copied are left alone,
and files it did not create are never overwritten. A project without a schema gets one: the
\`prisma-client\` generator (output src/generated/prisma, CommonJS for a CommonJS project) and a
PostgreSQL datasource set for the installed Prisma (6: engineType = "client" and the url;
7: no url in the schema), and a prisma.config.ts (the URL, .env). A Document or Annotation model
of yours may have fields of its own (optional, defaulted, relations) and @@index/@@unique lines;
one that lacks a field of ours, or has a required field without @default, changes nothing and
is named.

Options:
  --schema PATH      your schema file, or folder of .prisma files (default prisma/schema.prisma)
  --migrations DIR   your migrations folder (default: "migrations" next to the schema)
  -h, --help         show this help

Then: npx prisma generate && npx ${BIN} migrate`,

  async run(argv) {
    const { values } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    // Loaded here, not at the top: --help and usage errors stay fast without the library.
    const { initProject } = await import("../init-project.ts");
    const result = await initProject({
      schema: values.schema ?? "prisma/schema.prisma",
      migrations: values.migrations,
    });
    const rel = (p: string) => relative(process.cwd(), p) || ".";
    for (const file of result.created) print(`Created ${rel(file)}.`);
    const models =
      result.modelsAdded.length > 0
        ? `added models ${result.modelsAdded.join(", ")}`
        : "models Document and Annotation already there";
    print(`Schema ${rel(result.schemaFile)}: ${models}.`);
    const copied = result.migrationsCopied.length;
    print(
      `Migrations ${rel(result.migrationsDir)}: ${copied > 0 ? `copied ${copied} (${result.migrationsCopied.join(", ")})` : "nothing to copy"}` +
        `${result.migrationsPresent.length > 0 ? `, ${result.migrationsPresent.length} already there` : ""}.`,
    );
    for (const name of result.migrationsDiffering) {
      print(`  left as is: ${name}/migration.sql exists with other content than prisma-hybrid-store's.`);
    }
    if (result.ownFields.length > 0) {
      print(
        `Fields of your own kept: ${result.ownFields.join(", ")}. The bundled migrations do not create their ` +
          "columns: add them with your next `prisma migrate diff` (docs/existing-schema.md).",
      );
    }
    for (const warning of result.warnings) print(`Warning: ${warning}`);
    if (copied > 0 || result.modelsAdded.length > 0) {
      print(`Next: npx prisma generate && npx ${BIN} migrate`);
      print("(migrate: DATABASE_URL when set, a PostgreSQL server with pgvector; else the embedded database)");
    }
    return 0;
  },
};
