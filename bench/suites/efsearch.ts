/**
 * efsearch (issue #11): recall@10 and latency of the HNSW index against `hnsw.ef_search`, with
 * no filter (plain HNSW) and under 10% and 1% filters (iterative scan), on the migrations' index.
 * The evidence for the library's default ef_search (src/db/hnsw-defaults.ts DEFAULT_EF_SEARCH): the
 * smallest value that reaches the recall target.
 */
import { DEFAULT_EF_SEARCH } from "../../src/db/hnsw-defaults.ts";
import { basePrisma, SEARCH_TRANSACTION_TIMEOUT_MS } from "../clients.ts";
import { FILTERS, vectorOf } from "../data.ts";
import { ensureDataset, runStatement } from "../dataset.ts";
import { vectorText } from "../load.ts";
import { fmt, interleave, latencyStats, mean, type Variant } from "../measure.ts";
import type { SuiteResult, Table } from "../report.ts";
import { NO_FILTER, pageBelow, type SqlFilter, type VectorPlan, vectorSearch } from "../search-sql.ts";
import type { Suite, SuiteContext } from "../suite.ts";
import { exactAll, recallAt } from "../truth.ts";

const K = 10;
const EFS = [40, 64, 100, 150, 200, 300] as const;
interface Case {
  readonly name: string;
  readonly filter: SqlFilter;
  readonly keep?: (r: number) => boolean;
  readonly plan: VectorPlan;
  readonly target: number;
  readonly libraryEf: number;
}
const filtered = (s: "10%" | "1%"): Case => ({
  name: `${s} filter, iterative scan`,
  filter: pageBelow(FILTERS[s].where.page.lt),
  keep: FILTERS[s].keep,
  plan: "hnsw-iterative",
  target: 0.99,
  libraryEf: DEFAULT_EF_SEARCH.filtered,
});
const CASES: readonly Case[] = [
  {
    name: "no filter, plain HNSW",
    filter: NO_FILTER,
    plan: "hnsw",
    target: 0.95,
    libraryEf: DEFAULT_EF_SEARCH.unfiltered,
  },
  filtered("10%"),
  filtered("1%"),
];

export const efsearch: Suite = {
  name: "efsearch",
  summary: "recall@10 and p50 of the HNSW index against hnsw.ef_search (no filter, 10%, 1%)",
  run,
};

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const sizes = ctx.rows ?? [ctx.quick ? 5_000 : 10_000];
  const queryCount = ctx.quick ? 30 : 100;
  const tables: Table[] = [];
  const data: unknown[] = [];
  for (const size of sizes) {
    const rows = await runSize(ctx, size, queryCount);
    data.push({ size, rows });
    tables.push({
      title: `ef_search sweep at ${size} rows (${ctx.family} data): recall@10 / p50 ms (${queryCount} queries, HNSW m 16, ef_construction 128)`,
      columns: ["case", ...EFS.map((ef) => `ef ${ef}`), "library default", "recall target", "smallest ef reaching it"],
      rows: rows.map((r) => [
        r.name,
        ...r.byEf.map((m) => `${fmt(m.recall, 3)} / ${fmt(m.p50, 2)}`),
        String(r.libraryEf),
        String(r.target),
        String(r.byEf.find((m) => m.recall >= r.target)?.ef ?? `none up to ${EFS.at(-1)}`),
      ]),
    });
  }
  return {
    suite: "efsearch",
    target: ctx.target.name,
    description: ctx.target.description,
    command: ctx.command,
    params: { sizes, queries: queryCount, k: K, efs: EFS, family: ctx.family },
    tables,
    notes: [
      "Each cell: recall@10 against the exact top-10 (computed in JavaScript) / p50 latency. The ef values of one case alternate query by query.",
      "The statements are the library's HNSW statements written by hand (index forced with enable_sort = off); a short answer counts its missing rows as misses.",
    ],
    data,
  };
}

async function runSize(ctx: SuiteContext, size: number, queryCount: number) {
  const { data, queries } = await ensureDataset(ctx, size, queryCount);
  const prisma = basePrisma(ctx.target.url, 2, SEARCH_TRANSACTION_TIMEOUT_MS);
  const out = [];
  for (const c of CASES) {
    const truth = exactAll(data, queries, K, c.keep);
    const variants: Record<string, Variant> = {};
    for (const ef of EFS) {
      variants[String(ef)] = (q) =>
        runStatement(prisma, vectorSearch(vectorText(vectorOf(queries.vectors, q)), c.filter, K, c.plan, ef, "forced"));
    }
    const runs = await interleave(variants, queryCount, 5);
    const byEf = EFS.map((ef) => {
      const r = runs[String(ef)]!;
      return { ef, recall: mean(r.results.map((got, q) => recallAt(truth[q]!, got))), p50: latencyStats(r.ms).p50 };
    });
    ctx.log(`  ${c.name}: ${byEf.map((m) => `ef ${m.ef} ${fmt(m.recall, 3)}`).join(", ")}`);
    out.push({ name: c.name, target: c.target, libraryEf: c.libraryEf, byEf });
  }
  await prisma.$disconnect();
  return out;
}
