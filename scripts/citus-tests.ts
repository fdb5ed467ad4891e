/**
 * The integration suite on a Citus cluster: a fresh database on the cluster, the bundled
 * migrations, `distribute` (reference "Document", "Annotation" distributed by "id"), then the
 * test files that apply, and test/citus (shards, rebalance, estimates, ingest routing).
 *
 *   CITUS_URL=postgresql://postgres:postgres@127.0.0.1:56100/postgres node --import tsx scripts/citus-tests.ts [substring...]
 *
 * CITUS_URL is the coordinator of a running cluster (../shared/scripts/citus-cluster.sh in CI).
 * PHS_CITUS_SHARD_COUNT sets the shards of "Annotation" (default 4, see docs/scaling.md).
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { distributeOnCitus } from "../src/db/citus-distribute.ts";
import { createCitusScratchDatabase } from "./citus-scratch-database.ts";

/**
 * Test files that do not apply to a Citus cluster, and why. Everything else in test/integration
 * and test/reliability runs, and must pass as on one server.
 */
export const NOT_ON_CITUS: Readonly<Record<string, string>> = {
  "embedded-db.test.ts": "the embedded PGlite server, not a PostgreSQL server",
  "embedded-connections.test.ts": "the embedded PGlite server's connections",
  "cli-db.test.ts": "the CLI's embedded database command",
  "server-crash.test.ts": "stops and restarts the server with pg_ctl: one node, not a cluster",
  "server-privileges.test.ts":
    "creates roles and databases on one server; on Citus a new database is a new cluster (scripts/citus-scratch-database.ts)",
};

const serverUrl = process.env.CITUS_URL;
if (!serverUrl) {
  console.error("CITUS_URL is not set: the coordinator of a running Citus cluster");
  process.exit(2);
}
const shardCount = Number(process.env.PHS_CITUS_SHARD_COUNT ?? 4);
const filters = process.argv.slice(2);
const files = ["test/citus", "test/integration", "test/reliability"]
  .flatMap(listTests)
  .filter((f) => !Object.hasOwn(NOT_ON_CITUS, f.split("/").at(-1) ?? ""))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));

const started = performance.now();
const scratch = await createCitusScratchDatabase(serverUrl);
console.log(`test database: ${scratch.name} on the Citus coordinator ${new URL(serverUrl).host}`);
for (const [file, why] of Object.entries(NOT_ON_CITUS)) console.log(`not on Citus: ${file} (${why})`);
let status = 1;
try {
  const env = { ...process.env, DATABASE_URL: scratch.url, PHS_TEST_TARGET: "citus" };
  if ((await run("npx", ["prisma", "migrate", "deploy"], env, true)) !== 0)
    throw new Error("prisma migrate deploy failed");
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  try {
    const result = await distributeOnCitus(client, { shardCount });
    console.log(`distributed: ${result.changed.join(", ")} (${shardCount} shards)`);
    // Fault-injection tests create their own triggers on "Annotation"; on a distributed table
    // Citus allows that only with this setting (as for any trigger of a user's own).
    await client.query(`ALTER DATABASE "${scratch.name}" SET citus.enable_unsafe_triggers = on`);
  } finally {
    await client.end();
  }
  status =
    files.length === 0
      ? 0
      : await run(
          process.execPath,
          ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
          env,
        );
} finally {
  await scratch.drop();
}
console.log(
  `citus tests: ${status === 0 ? "passed" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(status);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, quiet = false): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", quiet ? "pipe" : "inherit", "inherit"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("close", (code) => {
      if (code !== 0 && quiet) process.stdout.write(out);
      resolve(code ?? 1);
    });
  });
}

function listTests(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => join(dir, f))
      .sort();
  } catch {
    return [];
  }
}
