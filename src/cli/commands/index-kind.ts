import { relative } from "node:path";
import { intOption, parseCommandArgs } from "../args.ts";
import { type Command, print } from "../command.ts";
import { BIN } from "../report-error.ts";
import { UsageError } from "../usage-error.ts";

const spec = {
  command: "index",
  options: {
    halfvec: { type: "boolean" },
    vector: { type: "boolean" },
    m: { type: "string" },
    migrations: { type: "string" },
  },
} as const;

export const indexCommand: Command = {
  name: "index",
  summary: "write a migration that switches the HNSW indexes to halfvec (half the memory) or back",
  help: `Usage: ${BIN} index --halfvec | --vector [--m N] [--migrations DIR]

Writes a migration that rebuilds the HNSW indexes of "Document" and "Annotation" on
("embedding"::halfvec(384)) with halfvec_cosine_ops (--halfvec: 2 bytes a dimension, about half
the index memory, distances still exact), or on "embedding" itself (--vector, as the bundled
migrations). Searches see the new kind within 5 seconds. Apply it with
npx prisma migrate deploy. When to use which: docs/scaling.md.

Options:
  --halfvec          index the half-precision cast
  --vector           index the full-precision column
  --m N              neighbours per graph node, 2 to 100 (default 16, as the bundled
                     migrations; 32 kept recall at a million rows, docs/scaling.md)
  --migrations DIR   your migrations folder (default prisma/migrations)
  -h, --help         show this help`,

  async run(argv) {
    const { values } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    if (values.halfvec === values.vector) throw new UsageError("give one of --halfvec or --vector", "index");
    const m = intOption(values.m, "m", "index", { min: 2, max: 100 });
    // Loaded here, not at the top: --help and usage errors stay fast without the library.
    const { writeIndexMigration } = await import("../index-migration.ts");
    const file = await writeIndexMigration(
      values.migrations ?? "prisma/migrations",
      values.halfvec ? "halfvec" : "vector",
      m,
    );
    print(`Created ${relative(process.cwd(), file)}.`);
    print("Next: npx prisma migrate deploy");
    return 0;
  },
};
