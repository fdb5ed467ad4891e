import { parseCommandArgs } from "../args.ts";
import { type Command, note, print } from "../command.ts";
import { formatDuration } from "../format.ts";
import { BIN } from "../report-error.ts";

const spec = { command: "migrate", options: { "data-dir": { type: "string" } } } as const;

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply the bundled migrations (pgvector, tables, triggers, indexes)",
  help: `Usage: ${BIN} migrate [--data-dir DIR]

Applies the package's migrations: CREATE EXTENSION vector, the Document and Annotation tables,
the save-hook triggers and the search indexes (HNSW, GIN). They are recorded in
_prisma_migrations as \`prisma migrate deploy\` records them, so your own \`prisma migrate deploy\`
sees them as applied. Needs no Prisma CLI. Safe to run again: applied migrations are skipped.

Target: DATABASE_URL when set; otherwise the embedded database (the one \`${BIN} db\` serves,
or started just for this command).

Options:
  --data-dir DIR   embedded database directory, when DATABASE_URL is unset
  -h, --help       show this help`,

  async run(argv) {
    const { values } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    // Loaded here, not at the top: --help and usage errors stay fast without the library.
    const { openDatabase } = await import("../local-database.ts");
    const { migrateDeploy } = await import("../apply-migrations.ts");
    const database = await openDatabase({ dataDir: values["data-dir"] });
    try {
      note(`Migrating ${database.description === "DATABASE_URL" ? redact(database.url) : database.description}...`);
      const result = await migrateDeploy(database.url);
      const took = formatDuration(result.seconds);
      print(
        result.applied.length > 0
          ? `Applied ${result.applied.length} migration(s) in ${took}: ${result.applied.join(", ")}`
          : `Already up to date (checked in ${took}).`,
      );
      return 0;
    } finally {
      await database.release();
    }
  },
};

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "DATABASE_URL";
  }
}
