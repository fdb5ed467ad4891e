/**
 * scale (issue #22, opt-in, never in CI): `npm run bench -- scale --rows 1000000`. Loads the
 * bench's data in steps (100k, then up to each `--rows` size, rows appended), and at each size
 * builds one HNSW index at a time, the full-precision `vector` index of the migrations and the
 * `halfvec` expression index (docs/scaling.md), measuring build time, index and table size and
 * the building backend's peak RSS, then the library's searches through each (unfiltered, 10%
 * and 1% filters: p50/p95 and recall@10 against a brute-force scan in JavaScript). The ratio
 * table divides each size's p50 by the 100k figure of the same index and filter.
 */
import pg from "pg";
import { HNSW_EF_CONSTRUCTION, HNSW_M } from "../../src/schema/hybrid-sql.ts";
import { basePrisma, precomputedEmbedder, SEARCH_TRANSACTION_TIMEOUT_MS, storePrisma } from "../clients.ts";
import { createSpace, FILTERS, generateDataset, generateQueries, vectorOf } from "../data.ts";
import { fmt, interleave, type LatencyStats, latencyStats, mean } from "../measure.ts";
import type { SuiteResult, Table } from "../report.ts";
import {
  appendRows,
  buildIndex,
  dropIndex,
  INDEX_KINDS,
  type IndexBuild,
  type IndexKind,
  prepareEmpty,
  tableMiB,
} from "../scale-load.ts";
import type { Suite, SuiteContext } from "../suite.ts";
import { exactAll, indexOfId, recallAt } from "../truth.ts";

const K = 10;
const BASE = 100_000;
const CASES = [
  { name: "unfiltered", where: undefined, keep: undefined, target: 0.95 },
  { name: "10%", where: FILTERS["10%"].where, keep: FILTERS["10%"].keep, target: 0.99 },
  { name: "1%", where: FILTERS["1%"].where, keep: FILTERS["1%"].keep, target: 0.99 },
] as const;
/** Enough for a 1M-row vector graph to be built in memory (about 1.9 GiB), under the box's share. */
const BUILD_MEMORY = "3GB";
const BUILD_WORKERS = 1;

export const scale: Suite = {
  name: "scale",
  summary: "opt-in: 100k and --rows (e.g. 1000000) rows, vector vs halfvec HNSW: build, size, RSS, p50/p95, recall",
  run,
};

interface CaseResult {
  readonly name: string;
  readonly target: number;
  readonly latency: LatencyStats;
  readonly recall: number;
  readonly plans: string;
}

interface Step {
  readonly size: number;
  readonly loadSeconds: number;
  readonly tableMiB: number;
  readonly builds: { readonly build: IndexBuild; readonly firstSearchMs: number; readonly cases: CaseResult[] }[];
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const requested = ctx.rows ?? [BASE];
  const sizes = [...new Set([Math.min(BASE, ...requested), ...requested])].sort((a, b) => a - b);
  const max = sizes.at(-1)!;
  const queryCount = ctx.quick ? 30 : 100;
  const m = ctx.hnswM ?? HNSW_M;
  const space = createSpace({ family: ctx.family });
  ctx.log(`  generating ${max} rows (${ctx.family}, seed ${space.options.seed})`);
  const data = generateDataset(space, max);
  const queries = generateQueries(space, queryCount);
  const connect = async () => {
    const c = new pg.Client({ connectionString: ctx.target.url });
    await c.connect();
    return c;
  };
  const admin = await connect();
  const second = await connect();
  const steps: Step[] = [];
  try {
    await prepareEmpty(admin, max);
    let loaded = 0;
    for (const size of sizes) {
      ctx.log(`  size ${size}: appending rows ${loaded}..${size - 1}`);
      const loadSeconds = await appendRows([admin, second], data, loaded, size, ctx.log);
      loaded = size;
      const view = { ...data, size };
      const truths = CASES.map((c) => exactAll(view, queries, K, c.keep));
      const builds: Step["builds"] = [];
      for (const kind of ctx.indexes ?? INDEX_KINDS) {
        const build = await buildIndex(connect, kind, BUILD_MEMORY, BUILD_WORKERS, m);
        ctx.log(
          `  ${kind} index: ${fmt(build.seconds)} s, ${fmt(build.indexMiB, 0)} MiB, backend peak ${fmt(build.backendPeakMiB ?? Number.NaN, 0)} MiB`,
        );
        const { firstSearchMs, cases } = await measure(ctx, queries, queryCount, truths);
        ctx.log(`  first search (measures recall): ${fmt(firstSearchMs / 1000, 1)} s`);
        for (const c of cases)
          ctx.log(
            `    ${c.name}: p50 ${fmt(c.latency.p50, 2)} / p95 ${fmt(c.latency.p95, 2)} ms, recall ${fmt(c.recall, 3)} (${c.plans})`,
          );
        builds.push({ build, firstSearchMs, cases });
        await dropIndex(admin);
      }
      steps.push({ size, loadSeconds, tableMiB: await tableMiB(admin), builds });
    }
  } finally {
    await Promise.all([admin.end(), second.end()]);
  }
  return {
    suite: "scale",
    target: ctx.target.name,
    description: ctx.target.description,
    command: ctx.command,
    params: {
      sizes,
      queries: queryCount,
      k: K,
      family: ctx.family,
      m,
      buildMemory: BUILD_MEMORY,
      workers: BUILD_WORKERS,
    },
    tables: tables(steps, queryCount, ctx.family, m),
    notes: [
      `Rows are appended without HNSW or GIN indexes (multi-row INSERTs of 1000 through the save-hook trigger); each HNSW index (m ${m}, ef_construction ${HNSW_EF_CONSTRUCTION}${m === HNSW_M ? ", as the migrations" : `; the migrations have m ${HNSW_M}`}) is then built alone with the maintenance_work_mem and parallel workers in params, measured, and dropped, so the library plans on the one index present.`,
      'halfvec = `CREATE INDEX ... USING hnsw (("embedding"::halfvec(384)) halfvec_cosine_ops)`: the library reads which index exists once per table and orders candidates by the same expression, then re-ranks them by the full-precision distance (docs/scaling.md).',
      "Library = `explainSearch({ query, where, take: 10 })` with no plan option, recall calibration on (its first search measures the table); recall@10 against a brute-force scan of the generated vectors in JavaScript.",
      "First search: the first `explainSearch` of a new store on the table, unfiltered: it reads the table's index and row count and measures recall (16 probes) before it searches.",
      "Backend peak RSS: VmHWM of the backend that ran CREATE INDEX (shared memory it touched included; a parallel worker's own memory not), read from /proc on the machine running the server.",
    ],
    data: steps,
  };
}

async function measure(
  ctx: SuiteContext,
  queries: ReturnType<typeof generateQueries>,
  queryCount: number,
  truths: number[][][],
): Promise<{ firstSearchMs: number; cases: CaseResult[] }> {
  // A new store per index: it reads the table's index kind (and calibrates) afresh.
  const base = basePrisma(ctx.target.url, 2, SEARCH_TRANSACTION_TIMEOUT_MS);
  const prisma = storePrisma(
    base,
    precomputedEmbedder(() => new Float32Array(384)),
  );
  const out: CaseResult[] = [];
  let firstSearchMs = Number.NaN;
  try {
    // What an application's first search waits for: the store reads the table and measures recall.
    const started = performance.now();
    await prisma.annotation.explainSearch({ query: Array.from(vectorOf(queries.vectors, 0)), take: K });
    firstSearchMs = performance.now() - started;
    for (const [i, c] of CASES.entries()) {
      const kinds = new Map<string, number>();
      const library = async (q: number) => {
        const { rows, plan } = await prisma.annotation.explainSearch({
          query: Array.from(vectorOf(queries.vectors, q)),
          ...(c.where ? { where: c.where } : {}),
          take: K,
        });
        const label = `${plan.kind}${plan.index ? ` (${plan.index.type})` : ""}${plan.fellBack ? " then exact" : ""}`;
        kinds.set(label, (kinds.get(label) ?? 0) + 1);
        return rows.map((r) => indexOfId(r.id));
      };
      const runs = await interleave({ library }, queryCount, 5);
      const r = runs.library!;
      const total = [...kinds.values()].reduce((a, b) => a + b, 0);
      out.push({
        name: c.name,
        target: c.target,
        latency: latencyStats(r.ms),
        recall: mean(r.results.map((got, q) => recallAt(truths[i]![q]!, got))),
        plans: [...kinds].map(([k, n]) => (kinds.size === 1 ? k : `${k} ${Math.round((100 * n) / total)}%`)).join(", "),
      });
    }
  } finally {
    await base.$disconnect();
  }
  return { firstSearchMs, cases: out };
}

function tables(steps: Step[], queryCount: number, family: string, m: number): Table[] {
  const graph = m === HNSW_M ? "" : `, HNSW m ${m}`;
  const first = steps[0];
  const baseOf = (kind: IndexKind, name: string) =>
    first?.builds.find((b) => b.build.kind === kind)?.cases.find((c) => c.name === name)?.latency.p50;
  return [
    {
      title: `Scale (${family} data${graph}): load and index builds`,
      columns: [
        "rows",
        "load (rows/s)",
        "table",
        "index",
        "build",
        "index size",
        "MiB per 1M rows",
        "backend peak RSS",
        "first search",
      ],
      rows: steps.flatMap((s) =>
        s.builds.map((b) => [
          s.size,
          `${fmt(s.loadSeconds, 0)} s (${Math.round((s.size - (steps[steps.indexOf(s) - 1]?.size ?? 0)) / s.loadSeconds)})`,
          `${fmt(s.tableMiB, 0)} MiB`,
          b.build.kind,
          `${fmt(b.build.seconds, 1)} s`,
          `${fmt(b.build.indexMiB, 0)} MiB`,
          fmt((b.build.indexMiB * 1e6) / s.size, 0),
          b.build.backendPeakMiB === null ? "n/a" : `${fmt(b.build.backendPeakMiB, 0)} MiB`,
          `${fmt(b.firstSearchMs / 1000, 1)} s`,
        ]),
      ),
    },
    {
      title: `Scale (${family} data${graph}): library searches, top-${K}, ${queryCount} queries per case (p50 / p95, recall@10)`,
      columns: [
        "rows",
        "index",
        "filter",
        "plan",
        "p50 / p95",
        "recall@10",
        "recall target",
        "p50 / 100k p50",
        "target <= 2x",
      ],
      rows: steps.flatMap((s) =>
        s.builds.flatMap((b) =>
          b.cases.map((c) => {
            const ratio = c.latency.p50 / (baseOf(b.build.kind, c.name) ?? Number.NaN);
            return [
              s.size,
              b.build.kind,
              c.name,
              c.plans,
              `${fmt(c.latency.p50, 2)} / ${fmt(c.latency.p95, 2)} ms`,
              fmt(c.recall, 3),
              `>= ${c.target}: ${c.recall >= c.target ? "met" : "missed"}`,
              s === first ? "1.00x" : `${fmt(ratio, 2)}x`,
              s === first ? "" : ratio <= 2 ? "met" : "missed",
            ];
          }),
        ),
      ),
    },
  ];
}
