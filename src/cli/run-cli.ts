import type { Command } from "./command.ts";
import { dbCommand } from "./commands/db.ts";
import { demoCommand } from "./commands/demo.ts";
import { distributeCommand } from "./commands/distribute.ts";
import { generateCommand } from "./commands/generate.ts";
import { indexCommand } from "./commands/index-kind.ts";
import { ingestCommand } from "./commands/ingest.ts";
import { initCommand } from "./commands/init.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { searchCommand } from "./commands/search.ts";
import { packageVersion } from "./package-paths.ts";
import { BIN, reportError } from "./report-error.ts";
import { UsageError } from "./usage-error.ts";

const COMMANDS: readonly Command[] = [
  demoCommand,
  dbCommand,
  migrateCommand,
  distributeCommand,
  indexCommand,
  ingestCommand,
  searchCommand,
  initCommand,
  generateCommand,
];

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${BIN} <command> [options]`,
    "",
    "A hybrid relational + vector store for Prisma on PostgreSQL/pgvector.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    `Run '${BIN} <command> --help' for a command's options.`,
    "DATABASE_URL selects the database; without it, commands use the embedded one",
    "(.prisma-hybrid-store/pgdata, or the server `db` runs for it).",
  ].join("\n");
}

/** Runs one command line; resolves to the process exit code (0 ok, 1 failed, 2 usage error). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`${generalHelp()}\n`);
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = rest[0] && COMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write(`${topic ? topic.help : generalHelp()}\n`);
    return 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith("-") ? `unknown option '${name}'` : `unknown command '${name}'`;
    return reportError(new UsageError(`${what}; commands: ${COMMANDS.map((c) => c.name).join(", ")}`), undefined);
  }
  try {
    return await command.run(rest);
  } catch (error) {
    return reportError(error, command.name);
  }
}
