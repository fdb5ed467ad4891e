/**
 * The integration suite on a Citus cluster: fresh databases on the cluster (one per lane), the
 * bundled migrations, `distribute` (reference "Document", "Annotation" distributed by "id"),
 * then the test files that apply, and test/citus (shards, rebalance, estimates, ingest routing).
 *
 *   CITUS_URL=postgresql://postgres:postgres@127.0.0.1:56100/postgres node --import tsx scripts/citus-tests.ts [substring...]
 *
 * CITUS_URL is the coordinator of a running cluster (../shared/scripts/citus-cluster.sh in CI).
 * PHS_CITUS_SHARD_COUNT sets the shards of "Annotation" (default 4, see docs/scaling.md).
 * PHS_CITUS_LANES (default 2) files run at once, each lane on a database of its own.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { distributeOnCitus } from "../src/db/citus-distribute.ts";
import { createCitusScratchDatabase } from "./citus-scratch-database.ts";
import type { ScratchDatabase } from "./scratch-database.ts";
import { bundleDir, testBundler } from "./test-bundle.ts";
import { capture, listTests, run } from "./test-process.ts";
import { expectedSeconds, TARGET_FREE } from "./test-targets.ts";

/**
 * Test files that do not apply to a Citus cluster, and why. Everything else in test/integration
 * and test/reliability runs, and must pass as on one server.
 */
export const NOT_ON_CITUS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    Object.entries(TARGET_FREE).map(([file, why]) => [
      file,
      `never uses the database under test (${why}): the PGlite run has it`,
    ]),
  ),
  "embedded-db.test.ts": "the embedded PGlite server, not a PostgreSQL server",
  "embedded-connections.test.ts": "the embedded PGlite server's connections",
  "cli-db.test.ts": "the CLI's embedded database command",
  "server-crash.test.ts": "stops and restarts the server with pg_ctl: one node, not a cluster",
  "server-privileges.test.ts":
    "creates roles and databases on one server; on Citus a new database is a new cluster (scripts/citus-scratch-database.ts)",
};

/**
 * Tests that run on Citus and fail there for a known reason: the run passes when the failing
 * tests are exactly among these (every other failure fails it). Keys are test names (a RegExp
 * for a family of them).
 */
export const FAILS_ON_CITUS: readonly (readonly [string | RegExp, string])[] = [
  [
    "ORDER BY embedding <=> $1 LIMIT 10 uses the HNSW index",
    "EXPLAIN of a statement with parameters: Citus cannot show a shard's plan ('Could not get remote plan'); test/citus checks the shards' HNSW plans",
  ],
  [
    "the HNSW index with iterative scan: recall@10 >= 0.95, exact distances, never short",
    "asserts one server's EXPLAIN text (an Index Scan on the table); on Citus it is a distributed plan over the shards",
  ],
  [
    "for contrast: the bare index with the same filter comes back short",
    "EXPLAIN with parameters (no shard plan), and `distribute` makes the shards scan iteratively, so the bare query is not short there",
  ],
  [
    "pgvector settings stay inside the search's transaction",
    "expects pgvector's defaults (ef_search 40, no iterative scan) outside a search; `distribute` makes 150 / relaxed_order the database's defaults",
  ],
  [
    /^document \{"annotations":/,
    "a Document filter through `annotations` (some/every/none) is a correlated subquery from a reference table into a distributed one, which Citus refuses ('correlated subqueries are not supported when the FROM clause contains a reference table'): a QueryError on Citus",
  ],
  [
    "a changed file is replaced in one transaction: a failure in a later batch keeps the old chunks",
    "its fault injection sends CREATE FUNCTION and CREATE TRIGGER in one query string; Citus passes DDL on to the workers as that text, which they refuse ('cannot insert multiple commands into a prepared statement')",
  ],
  [
    /^ingest .*: exit 0, /,
    'the ingest succeeds; the test\'s own read-back counts chunks with correlated subqueries from "Document" (reference) into "Annotation" (distributed), which Citus refuses (\'complex joins are only supported when all distributed tables are co-located\')',
  ],
  [
    "the plan's iterative scan applies to that statement: 10 rows where the bare index finds fewer",
    "the library's rows match the oracle (SET LOCAL on Citus); the test's contrast, that the bare index without an iterative scan returns fewer than 10 rows, does not hold over several shards: each shard's index returns its own ef_search rows and the filter leaves 10 in all",
  ],
  [
    /^(HNSW( with an explicit ef_search)?|auto with efSearch 10), (one document|a filter keeping a third): pages of 7 and of 60 = take 300$/,
    "(filtered or not; the auto plan under efSearch 10 walks the index whenever the estimates favour it) at the search's own ef_search (10, or the calibrated one, which now reach the shards) each shard's relaxed-order stream comes out of order, and Citus cuts it at the page's end (whole blocks of 10): the sorted union of the shards' prefixes then depends on the page's length, so pages of 7 need not concatenate to one take of 300 (docs/scaling.md)",
  ],
  [
    /^scaling\.md:\d+ \(sql\)$/,
    'the partitioning sample rebuilds "Annotation" as a partitioned table: a one-server layout (docs/scaling.md)',
  ],
  [
    /^(HNSW.*: cursor pages of 7 = take 300|the cursor's row comes first; skip counts from it; a row not in the list gives no rows)$/,
    "a cursor on an HNSW plan finds its row's place in the index's stream with a subquery in LIMIT, which Citus refuses for a multi-shard query: on a distributed table the search says so with an INVALID_ARGUMENT before sending anything (test/citus/settings.test.ts); skip, or the exact plan, pages there (docs/scaling.md)",
  ],
  [
    "the store finds the halfvec index and the HNSW statement walks it",
    "asserts one server's EXPLAIN text (an Index Scan on the table); on Citus it is a distributed plan over the shards",
  ],
  [
    "unfiltered: the calibrated plan meets 0.95 where the fixed default may not",
    "a known calibration miss, not hidden by the exact plan since the test forces the index: over 4 shards of about 1,000 rows each, the 16 probes (sampled rows moved off the data by their 10th neighbour's distance) can read 0.981 at ef_search 40 where the test's 20 fresh isotropic queries find 0.91 (CI, 2026-12-03; in another run it chose 64 and met 0.95). Sampling, not a bias of the probes there: on the same layout (4,000 isotropic rows, 4 shards, m 16, ef_construction 64) 16 probes read 0.919 / 0.969 / 0.994 at ef_search 40 / 64 / 100 where 48 fresh queries found 0.937 / 0.981 / 1.000. On one server it passes. Issue #22",
  ],
];

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

const lanes = Math.max(1, Math.min(Number(process.env.PHS_CITUS_LANES ?? 2), files.length));
const started = performance.now();
for (const [file, why] of Object.entries(NOT_ON_CITUS)) console.log(`not on Citus: ${file} (${why})`);
const databases: ScratchDatabase[] = [];
let status = 1;
try {
  for (let i = 0; i < lanes; i++) databases.push(await createCitusScratchDatabase(serverUrl));
  await Promise.all(databases.map(prepare));
  console.log(
    `${files.length} file(s) on ${lanes} lane(s), each with its own database on the Citus coordinator ${new URL(serverUrl).host} (${shardCount} shards)`,
  );
  const { code, tapText } = await runFiles(files);
  status = code === 0 ? 0 : judge(tapText);
} finally {
  await Promise.all(databases.map((d) => d.drop()));
}
console.log(
  `citus tests: ${status === 0 ? "passed" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(status);

/** The env a test file runs with on `database`. */
function testEnv(database: ScratchDatabase): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: database.url, PHS_TEST_TARGET: "citus" };
}

/** Migrates `database` and distributes its tables as `distribute` does. */
async function prepare(database: ScratchDatabase): Promise<void> {
  if ((await run("npx", ["prisma", "migrate", "deploy"], testEnv(database), true)) !== 0)
    throw new Error(`prisma migrate deploy failed on ${database.name}`);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await distributeOnCitus(client, { shardCount });
    // Fault-injection tests create their own triggers on "Annotation"; on a distributed table
    // Citus allows that only with this setting (as for any trigger of a user's own).
    await client.query(`ALTER DATABASE "${database.name}" SET citus.enable_unsafe_triggers = on`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `files` on the lanes, each file in its own `node --test` on its lane's database, the
 * longest expected first (as scripts/test.ts's workers take them); prints each file's output
 * when it ends. Returns the highest exit code and every file's TAP output, for {@link judge}.
 */
async function runFiles(files: readonly string[]): Promise<{ code: number; tapText: string }> {
  const tapDir = mkdtempSync(join(tmpdir(), "phs-citus-tap-"));
  const bundler = testBundler(bundleDir("citus"));
  try {
    const queue = [...files].sort((a, b) => expectedSeconds(b, "server") - expectedSeconds(a, "server"));
    let tapText = "";
    let worst = 0;
    let count = 0;
    const lane = async (database: ScratchDatabase, id: number) => {
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        const command = await bundler.command(file);
        const tap = join(tapDir, `${++count}.tap`);
        const t = performance.now();
        const { code, output } = await capture(
          process.execPath,
          [
            "--test",
            "--test-reporter=spec",
            "--test-reporter-destination=stdout",
            "--test-reporter=tap",
            `--test-reporter-destination=${tap}`,
            ...command.args,
          ],
          testEnv(database),
        );
        const note = command.tsxReason ? `, under tsx: ${command.tsxReason}` : "";
        const seconds = ((performance.now() - t) / 1000).toFixed(1);
        process.stdout.write(
          `\n── ${file} (${seconds} s, lane ${id}${note}${code === 0 ? "" : ", failures"})\n${output}`,
        );
        tapText += readFileSync(tap, "utf8");
        worst = Math.max(worst, code);
      }
    };
    await Promise.all(databases.map((d, i) => lane(d, i + 1)));
    return { code: worst, tapText };
  } finally {
    bundler.dispose();
    rmSync(tapDir, { recursive: true, force: true });
  }
}

/** 0 when every failed test is one of {@link FAILS_ON_CITUS}; prints which failed and why. */
function judge(tapText: string): number {
  const failed = failedLeaves(tapText);
  const reason = (name: string) =>
    FAILS_ON_CITUS.find(([key]) => (typeof key === "string" ? key === name : key.test(name)))?.[1];
  const unexpected = failed.filter((name) => reason(name) === undefined);
  console.log(`\nfailed on Citus: ${failed.length} test(s), ${failed.length - unexpected.length} of them known:`);
  for (const name of failed)
    console.log(`  ${reason(name) ? "known" : "UNEXPECTED"}: ${name}${reason(name) ? ` (${reason(name)})` : ""}`);
  return unexpected.length === 0 && failed.length > 0 ? 0 : 1;
}

/** Names of the failed tests that have no failed subtests, from node:test's TAP output. */
function failedLeaves(tapText: string): string[] {
  const results = [...tapText.matchAll(/^( *)(not ok|ok) \d+ - (.*)$/gm)].map((m) => ({
    indent: m[1]!.length,
    failed: m[2] === "not ok",
    name: m[3]!.replace(/ # (SKIP|TODO).*$/, ""),
  }));
  // A parent's line follows its subtests' lines, which are indented deeper.
  return results.filter((r, i) => r.failed && !(i > 0 && results[i - 1]!.indent > r.indent)).map((r) => r.name);
}
