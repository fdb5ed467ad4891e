import { intOption, parseCommandArgs } from "../args.ts";
import { type Command, note, print } from "../command.ts";
import { BIN } from "../report-error.ts";
import { UsageError } from "../usage-error.ts";
import { redact } from "./migrate.ts";

const spec = {
  command: "distribute",
  options: { "shard-count": { type: "string" }, check: { type: "boolean" } },
} as const;

export const distributeCommand: Command = {
  name: "distribute",
  summary: "shard the tables on a Citus cluster (reference Document, distributed Annotation)",
  help: `Usage: ${BIN} distribute [--shard-count N] [--check]

On a Citus coordinator (DATABASE_URL), after \`${BIN} migrate\`: makes "Document" a reference
table (a copy on every node) and distributes "Annotation" by "id" across the workers, in one
transaction, with the save-hook triggers (citus.enable_unsafe_triggers for that transaction).
Then checks every shard on every node for the triggers, the indexes (HNSW included) and the
generated "searchVector" column. Safe to run again; run it again after citus_rebalance_start
to check the moved shards.

Options:
  --shard-count N   shards of "Annotation" (default: 2 per active worker). Fewer shards
                    cost less per search, more ingest faster; see docs/scaling.md
  --check           only check the shards, change nothing
  -h, --help        show this help`,

  async run(argv) {
    const { values } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    const shardCount = intOption(values["shard-count"], "shard-count", "distribute", { min: 1, max: 64_000 });
    const url = process.env.DATABASE_URL?.trim();
    if (!url) throw new UsageError("needs DATABASE_URL: the Citus coordinator (the embedded database has no Citus)");
    // Loaded here, not at the top: --help and usage errors stay fast without the library.
    const [{ default: pg }, tooling] = await Promise.all([import("pg"), import("../../tooling/index.ts")]);
    const {
      connectionFailure,
      distributeOnCitus,
      incompletePlacements,
      inspectPlacements,
      requireCitus,
      tablePlacement,
    } = tooling;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
    } catch (error) {
      throw connectionFailure(error) ?? error;
    }
    try {
      note(`${values.check ? "Checking" : "Distributing"} on ${redact(url)}...`);
      await requireCitus(client);
      if (!values.check) {
        const result = await distributeOnCitus(client, { shardCount });
        print(
          result.changed.length > 0
            ? `Distributed ${result.changed.map((t) => `"${t}"`).join(" and ")}.`
            : "Already distributed.",
        );
      }
      let broken = 0;
      for (const table of ["Document", "Annotation"]) {
        if ((await tablePlacement(client, table)).kind === "local") {
          print(`"${table}": not distributed (run \`${BIN} distribute\`)`);
          broken++;
          continue;
        }
        const { expected, placements } = await inspectPlacements(client, table);
        const nodes = new Set(placements.map((p) => p.node));
        const missing = incompletePlacements(expected, placements);
        broken += missing.length;
        print(
          `"${table}": ${placements.length} shard placement(s) on ${nodes.size} node(s); ` +
            (missing.length === 0
              ? `each has the ${expected.triggers} trigger(s), ${expected.indexes} index(es) (${expected.hnswIndexes} HNSW) and ${expected.generatedColumns} generated column(s)`
              : `${missing.length} lack triggers, indexes or generated columns: ${missing.map((p) => `${p.shardId}@${p.node}`).join(", ")}`),
        );
      }
      return broken === 0 ? 0 : 1;
    } finally {
      await client.end();
    }
  },
};
