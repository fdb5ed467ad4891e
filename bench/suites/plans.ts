/**
 * plans (issue #11): filtered vector search at filters keeping 100%, 10%, 1% and 0.1% of rows.
 * The library's automatic plan against each hand-written plan in the same run, query by query:
 * an exact scan of the filtered rows (b-tree), HNSW with an iterative scan, and plain HNSW
 * (both HNSW variants forced onto the index, at the library's default ef_search). Targets:
 * library recall@10 >= 0.95 with no effective filter and >= 0.99 filtered, and p50 within 2x of
 * the fastest hand-written plan that reaches the same recall target.
 */
import { writeFileSync } from "node:fs";
import { DEFAULT_EF_SEARCH } from "../../src/db/hnsw-defaults.ts";
import { barChart } from "../chart.ts";
import { basePrisma, precomputedEmbedder, SEARCH_TRANSACTION_TIMEOUT_MS, storePrisma } from "../clients.ts";
import { FILTERS, type Selectivity, vectorOf } from "../data.ts";
import { ensureDataset, runStatement } from "../dataset.ts";
import { capture, explainCaptured } from "../explain.ts";
import { vectorText } from "../load.ts";
import { fmt, interleave, type LatencyStats, latencyStats, mean, pairedRatio, type Variant } from "../measure.ts";
import { DOCS_DIR, repoPath, type SuiteResult, type Table } from "../report.ts";
import { pageBelow, type VectorPlan, vectorSearch } from "../search-sql.ts";
import type { Suite, SuiteContext } from "../suite.ts";
import { exactAll, indexOfId, recallAt } from "../truth.ts";

const K = 10;
const TARGET = 2;
/** Recall@10 targets of issue #11: a filter that keeps every row counts as no filter. */
const recallTarget = (s: Selectivity) => (s === "100%" ? 0.95 : 0.99);
const HAND: readonly { name: string; plan: VectorPlan; ef: number }[] = [
  { name: "exact scan (b-tree filter)", plan: "exact", ef: 0 },
  {
    name: `HNSW + iterative scan (ef ${DEFAULT_EF_SEARCH.filtered})`,
    plan: "hnsw-iterative",
    ef: DEFAULT_EF_SEARCH.filtered,
  },
  { name: `plain HNSW (ef ${DEFAULT_EF_SEARCH.unfiltered})`, plan: "hnsw", ef: DEFAULT_EF_SEARCH.unfiltered },
];

export const plans: Suite = {
  name: "plans",
  summary: "filtered vector search at 100/10/1/0.1% selectivity: library plan vs the best hand-written plan",
  run,
};

interface Measured {
  readonly latency: LatencyStats;
  /** Per-query times, in query order (for paired ratios). */
  readonly ms: readonly number[];
  readonly recall: number;
  readonly rows: number;
  readonly explain: string;
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const sizes = ctx.rows ?? [ctx.quick ? 5_000 : 10_000];
  const queryCount = ctx.quick ? 30 : 100;
  const tables: Table[] = [];
  const data: unknown[] = [];
  const charts: string[] = [];
  for (const size of sizes) {
    const results = await runSize(ctx, size, queryCount);
    tables.push(...sizeTables(size, queryCount, results, ctx.family));
    data.push({ size, results });
    const file = `benchmarks-plans-${ctx.target.name}-${ctx.family === "clustered" ? "" : `${ctx.family}-`}${size / 1000}k.svg`;
    writeFileSync(repoPath(`${DOCS_DIR}/${file}`), chart(ctx, size, results));
    charts.push(file);
  }
  return {
    suite: "plans",
    target: ctx.target.name,
    description: ctx.target.description,
    command: ctx.command,
    params: { sizes, queries: queryCount, k: K, efSearch: DEFAULT_EF_SEARCH, family: ctx.family },
    tables,
    charts,
    notes: [
      `Best = the fastest hand-written plan (p50) that reaches the case's recall target (0.95 at 100%, 0.99 filtered) or at least the library's own recall - 0.02; a plan that returns too few rows is not "best" however fast.`,
      "The HNSW variants run at the library's default ef_search (shown in their names) with the library's planner settings (enable_sort, enable_seqscan and jit off), so the planner uses the index even where it would rather sort; the plan column shows what EXPLAIN reported.",
      "library / best: the median over queries of library time / best plan time for the same query (all variants of a query run in one round), which cancels load drifting during the run.",
      "Library = `explainSearch({ query, where, take: 10 })` with no plan option: the plan it chose is listed with how often each ran.",
    ],
    data,
  };
}

type CaseResult = {
  selectivity: Selectivity;
  kept: number;
  library: Measured & { plans: string };
  hand: Record<string, Measured>;
};

async function runSize(ctx: SuiteContext, size: number, queryCount: number): Promise<CaseResult[]> {
  const { data, queries } = await ensureDataset(ctx, size, queryCount);
  const base = basePrisma(ctx.target.url, 2, SEARCH_TRANSACTION_TIMEOUT_MS);
  const prisma = storePrisma(
    base,
    precomputedEmbedder(() => new Float32Array(384)),
  );
  const vec = (q: number) => Array.from(vectorOf(queries.vectors, q));
  const vtext = (q: number) => vectorText(vectorOf(queries.vectors, q));
  const out: CaseResult[] = [];
  for (const selectivity of Object.keys(FILTERS) as Selectivity[]) {
    const f = FILTERS[selectivity];
    const sql = pageBelow(f.where.page.lt);
    const kept = data.r.slice(0, data.size).filter((r) => f.keep(r)).length;
    const kinds = new Map<string, number>();
    const library = async (q: number) => {
      const { rows, plan } = await prisma.annotation.explainSearch({ query: vec(q), where: f.where, take: K });
      const label = `${plan.kind}${plan.fellBack ? " then exact" : ""}`;
      kinds.set(label, (kinds.get(label) ?? 0) + 1);
      return rows.map((r) => indexOfId(r.id));
    };
    const statement = (h: (typeof HAND)[number], q: number) =>
      vectorSearch(vtext(q), sql, K, h.plan, h.ef, h.plan !== "exact" ? "forced" : "inline");
    const variants: Record<string, Variant> = { library };
    for (const h of HAND) variants[h.name] = (q) => runStatement(prisma, statement(h, q));
    ctx.log(`  ${selectivity} (${kept} rows)`);
    const runs = await interleave(variants, queryCount, 5);
    const total = [...kinds.values()].reduce((a, b) => a + b, 0);
    const plansSeen = [...kinds]
      .map(([k, n]) => (kinds.size === 1 ? k : `${k} ${Math.round((100 * n) / total)}%`))
      .join(", ");
    const truth = exactAll(data, queries, K, f.keep);
    const measured = async (name: string, probe: () => Promise<unknown>): Promise<Measured> => {
      const r = runs[name]!;
      const { queries: sent } = await capture(probe);
      return {
        latency: latencyStats(r.ms),
        ms: r.ms,
        recall: mean(r.results.map((got, q) => recallAt(truth[q]!, got))),
        rows: mean(r.results.map((got) => got.length)),
        explain: await explainCaptured(ctx.target.url, sent),
      };
    };
    const hand: Record<string, Measured> = {};
    for (const h of HAND) hand[h.name] = await measured(h.name, () => runStatement(prisma, statement(h, 0)));
    const lib = await measured("library", () => library(0));
    out.push({ selectivity, kept, library: { ...lib, plans: plansSeen }, hand });
    ctx.log(`    library ${plansSeen}: p50 ${fmt(lib.latency.p50, 2)} ms, recall ${fmt(lib.recall, 3)}`);
    for (const h of HAND)
      ctx.log(
        `    ${h.name}: p50 ${fmt(hand[h.name]!.latency.p50, 2)} ms, recall ${fmt(hand[h.name]!.recall, 3)}, ${hand[h.name]!.explain}`,
      );
  }
  await base.$disconnect();
  return out;
}

/**
 * The fastest hand-written plan that reaches the recall target, or at least the library's own
 * recall (less 0.02), so the library is compared with plans that answer as well as it must; if
 * none does, the most accurate one.
 */
function best(hand: Record<string, Measured>, target: number, libraryRecall: number): [string, Measured] {
  const entries = Object.entries(hand);
  const bar = Math.min(target, libraryRecall - 0.02);
  const good = entries.filter(([, m]) => m.recall >= bar);
  if (good.length > 0) return good.reduce((a, b) => (b[1].latency.p50 < a[1].latency.p50 ? b : a));
  return entries.reduce((a, b) => (b[1].recall > a[1].recall ? b : a));
}

const cell = (m: Measured) =>
  `${fmt(m.latency.p50, 2)} / ${fmt(m.latency.p95, 2)} ms, recall ${fmt(m.recall, 2)}, ${fmt(m.rows, 1)} rows`;

export function sizeTables(size: number, queryCount: number, results: CaseResult[], family = "clustered"): Table[] {
  return [
    {
      title: `Plans at ${size} rows (${family} data): top-${K}, ${queryCount} queries per filter (p50 / p95, recall@10, rows returned)`,
      columns: [
        "filter keeps",
        "rows",
        "library plan",
        "library",
        ...HAND.map((h) => h.name),
        "recall target",
        "best hand-written",
        "library / best (median per-query ratio)",
        `target <= ${TARGET}x`,
      ],
      rows: results.map((r) => {
        const target = recallTarget(r.selectivity);
        const [name, b] = best(r.hand, target, r.library.recall);
        const x = pairedRatio(r.library, b);
        return [
          r.selectivity,
          r.kept,
          r.library.plans,
          cell(r.library),
          ...HAND.map((h) => cell(r.hand[h.name]!)),
          `>= ${target}: ${r.library.recall >= target ? "met" : "missed"}`,
          name,
          `${x.toFixed(2)}x`,
          x <= TARGET ? "met" : "missed",
        ];
      }),
    },
    {
      title: `Plans at ${size} rows (${family} data): what EXPLAIN shows for each statement`,
      columns: ["filter keeps", "library", ...HAND.map((h) => h.name)],
      rows: results.map((r) => [r.selectivity, r.library.explain, ...HAND.map((h) => r.hand[h.name]!.explain)]),
    },
  ];
}

function chart(ctx: SuiteContext, size: number, results: CaseResult[]): string {
  const series = ["library", "exact scan", "HNSW iterative", "plain HNSW"];
  const of = (r: CaseResult) => [r.library, ...HAND.map((h) => r.hand[h.name]!)];
  return barChart(
    `Plan choice: ${size / 1000}k rows x 384 dims, top-${K}, filters keeping 100% to 0.1% of rows`,
    `${ctx.target.description}. Reproduce: ${ctx.command}`,
    [
      {
        title: "p50 latency (ms, lower is better)",
        series,
        groups: results.map((r) => ({
          label: `filter keeps ${r.selectivity}`,
          values: of(r).map((m) => m.latency.p50),
        })),
        format: (v) => fmt(v, 2),
      },
      {
        title: "recall@10 (higher is better)",
        series,
        groups: results.map((r) => ({ label: `filter keeps ${r.selectivity}`, values: of(r).map((m) => m.recall) })),
        format: (v) => fmt(v, 2),
      },
    ],
  );
}
