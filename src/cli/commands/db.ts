import { resolve } from "node:path";
import { intOption, parseCommandArgs } from "../args.ts";
import { type Command, note, print } from "../command.ts";
import { formatDuration } from "../format.ts";
import { DEFAULT_DATA_DIR } from "../library-defaults.ts";
import { BIN } from "../report-error.ts";

const DEFAULT_PORT = 5433;

const spec = {
  command: "db",
  options: {
    "data-dir": { type: "string" },
    port: { type: "string" },
    "max-connections": { type: "string" },
  },
} as const;

export const dbCommand: Command = {
  name: "db",
  summary: "run the embedded PostgreSQL + pgvector database in the foreground",
  help: `Usage: ${BIN} db [--data-dir DIR] [--port PORT] [--max-connections N]

Runs PostgreSQL (PGlite, in WebAssembly) with pgvector in this terminal until Ctrl-C, and
prints the DATABASE_URL to give your app, Prisma and psql. Nothing to install.

Options:
  --data-dir DIR        where the data lives (default ${DEFAULT_DATA_DIR})
  --port PORT           port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)
  --max-connections N   sockets accepted at once (default 8). They share one backend:
                        set your client pool's max to at most N
  -h, --help            show this help

Other commands of this CLI find the running server by its data directory, so
\`${BIN} migrate\` in another terminal needs no DATABASE_URL.`,

  async run(argv) {
    const { values } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    const port = intOption(values.port, "port", "db", { min: 0, max: 65535 }) ?? DEFAULT_PORT;
    const max = intOption(values["max-connections"], "max-connections", "db", { min: 1, max: 100 }) ?? 8;
    const dataDir = resolve(values["data-dir"] ?? DEFAULT_DATA_DIR);
    const started = performance.now();
    // Loaded here, not at the top: --help and usage errors stay fast without PGlite.
    const { startLocal } = await import("../local-database.ts");
    const db = await startLocal(dataDir, port, max);
    print(`DATABASE_URL=${db.url}`);
    note(
      `Embedded database ready in ${formatDuration((performance.now() - started) / 1000)} ` +
        `(data: ${dataDir}, up to ${max} connections). Press Ctrl-C to stop.`,
    );
    note(`Next, in another terminal: export DATABASE_URL="${db.url}" && npx ${BIN} migrate`);
    const signal = await new Promise<NodeJS.Signals>((done) => {
      process.once("SIGINT", done).once("SIGTERM", done);
    });
    // A second Ctrl-C while stopping quits at once (the data may then need PGlite's recovery).
    process.once("SIGINT", () => process.exit(130));
    note(`\n${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping the database...`);
    await db.release();
    note("Stopped; everything is saved.");
    return 0;
  },
};
