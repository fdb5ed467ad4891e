/**
 * `npm run bench -- [suite...] [--rows 10000,100000] [--api-rows 10000] [--family clustered,lowrank,isotropic] [--quick]`
 * `scale` also takes `--index halfvec,vector` (which HNSW indexes to build) and `--hnsw-m 16` (their `m`).
 *
 * Runs the chosen suites (default: all) against BENCH_DATABASE_URL / DATABASE_URL (a scratch
 * database is created there and dropped after) or an embedded PGlite in a temporary directory.
 * Each suite prints its tables and ratios, writes bench/results/<suite>-<target>.json and
 * updates its block in its page docs/benchmarks/<suite>.md.
 */
import { FAMILIES, type Family } from "./data.ts";
import { loadNow, printTables, saveResult } from "./report.ts";
import { INDEX_KINDS, type IndexKind } from "./scale-load.ts";
import type { Suite } from "./suite.ts";
import { citus } from "./suites/citus.ts";
import { efsearch } from "./suites/efsearch.ts";
import { ingest } from "./suites/ingest.ts";
import { peers } from "./suites/peers.ts";
import { plans } from "./suites/plans.ts";
import { scale } from "./suites/scale.ts";
import { search } from "./suites/search.ts";
import { openTarget } from "./target.ts";

const SUITES: readonly Suite[] = [ingest, peers, search, plans, efsearch, citus];
/** Run only when named: minutes to hours, and gigabytes of server memory. */
const OPT_IN: readonly Suite[] = [scale];

interface Args {
  suites: Suite[];
  rows: number[] | undefined;
  apiRows: number | undefined;
  families: Family[];
  quick: boolean;
  indexes: IndexKind[] | undefined;
  hnswM: number | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const names: string[] = [];
  let rows: number[] | undefined;
  let apiRows: number | undefined;
  let quick = false;
  let families: Family[] = ["clustered"];
  let indexes: IndexKind[] | undefined;
  let hnswM: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--rows" || a.startsWith("--rows=")) {
      const value = a.includes("=") ? a.slice(7) : argv[++i];
      rows = (value ?? "").split(",").map((s) => Number(s.trim().replace(/k$/i, "000")));
      if (rows.length === 0 || rows.some((n) => !Number.isInteger(n) || n < 100)) usage(`bad --rows value: ${value}`);
    } else if (a === "--api-rows" || a.startsWith("--api-rows=")) {
      const value = a.includes("=") ? a.slice(11) : argv[++i];
      apiRows = Number((value ?? "").trim().replace(/k$/i, "000"));
      if (!Number.isInteger(apiRows) || apiRows < 1) usage(`bad --api-rows value: ${value}`);
    } else if (a === "--family" || a.startsWith("--family=")) {
      const value = a.includes("=") ? a.slice(9) : argv[++i];
      const names = (value ?? "").split(",").map((s) => s.trim());
      if (names.some((n) => !FAMILIES.includes(n as Family))) usage(`bad --family value: ${value}`);
      families = names as Family[];
    } else if (a === "--index" || a.startsWith("--index=")) {
      const value = a.includes("=") ? a.slice(8) : argv[++i];
      const kinds = (value ?? "").split(",").map((s) => s.trim());
      if (kinds.some((k) => !INDEX_KINDS.includes(k as IndexKind))) usage(`bad --index value: ${value}`);
      indexes = kinds as IndexKind[];
    } else if (a === "--hnsw-m" || a.startsWith("--hnsw-m=")) {
      const value = a.includes("=") ? a.slice(9) : argv[++i];
      hnswM = Number(value);
      if (!Number.isInteger(hnswM) || hnswM < 2 || hnswM > 100) usage(`bad --hnsw-m value: ${value}`);
    } else if (a === "--help" || a === "-h") usage();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else names.push(a);
  }
  const suites =
    names.length === 0
      ? [...SUITES]
      : names.map((n) => [...SUITES, ...OPT_IN].find((s) => s.name === n) ?? usage(`unknown suite ${n}`));
  return { suites, rows, apiRows, families, quick, indexes, hnswM };
}

function usage(problem?: string): never {
  if (problem) console.error(problem);
  console.error(
    `usage: npm run bench -- [suite...] [--rows 10000,100000] [--api-rows 10000] [--family ${FAMILIES.join(",")}] [--quick] [--index ${INDEX_KINDS.join(",")}] [--hnsw-m 16]\nsuites:`,
  );
  for (const s of [...SUITES, ...OPT_IN]) console.error(`  ${s.name.padEnd(8)} ${s.summary}`);
  process.exit(problem ? 2 : 0);
}

const args = parseArgs(process.argv.slice(2));
const log = (line: string) => console.log(line);
const target = await openTarget(log);
// Interrupted: still drop the scratch database / stop PGlite and remove its directory.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void target.close().finally(() => process.exit(130)));
}
let failed = false;
try {
  for (const [suite, family] of args.suites.flatMap((s) => args.families.map((f) => [s, f] as const))) {
    const flags = [
      family === "clustered" ? "" : `--family ${family}`,
      args.rows ? `--rows ${args.rows.join(",")}` : "",
      args.apiRows && suite.name === "peers" ? `--api-rows ${args.apiRows}` : "",
      args.quick ? "--quick" : "",
      args.indexes && suite.name === "scale" ? `--index ${args.indexes.join(",")}` : "",
      args.hnswM && suite.name === "scale" ? `--hnsw-m ${args.hnswM}` : "",
    ].filter(Boolean);
    const server = target.name === "postgres" ? "DATABASE_URL=postgresql://... " : "";
    const command = `${server}npm run bench -- ${[suite.name, ...flags].join(" ")}`;
    log(`\n=== ${suite.name} on ${target.name} (${family} data): ${suite.summary}`);
    const started = performance.now();
    const loadAtStart = loadNow();
    try {
      const run = await suite.run({
        target,
        rows: args.rows,
        apiRows: args.apiRows,
        family,
        quick: args.quick,
        indexes: args.indexes,
        hnswM: args.hnswM,
        log,
        command,
      });
      const variant =
        [
          family === "clustered" ? "" : family,
          args.rows?.join("-"),
          args.quick ? "quick" : "",
          suite.name === "scale" && args.indexes ? args.indexes.join("-") : "",
          suite.name === "scale" && args.hnswM ? `m${args.hnswM}` : "",
        ]
          .filter(Boolean)
          .join("-") || undefined;
      const result = { ...run, variant, load: [loadAtStart, loadNow()] as const };
      printTables(result, log);
      log(`wrote ${saveResult(result)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    } catch (error) {
      failed = true;
      console.error(`suite ${suite.name} failed:`, error);
    }
  }
} finally {
  await target.close();
}
process.exit(failed ? 1 : 0);
