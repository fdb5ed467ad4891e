/**
 * search (issue #5): the model methods `similaritySearch`, `textSearch` and `hybridSearch`
 * against the same statements hand-written with `$queryRawUnsafe`, in the same run, query by
 * query: latency, recall@10 against exact search, rows returned, and the library's overhead.
 */

import { vectorToBinary } from "../../src/sql/vector-binary.ts";
import { basePrisma, precomputedEmbedder, SEARCH_TRANSACTION_TIMEOUT_MS, storePrisma } from "../clients.ts";
import { FILTERS, LABEL_1, vectorOf } from "../data.ts";
import { ensureDataset, runStatement } from "../dataset.ts";
import { observePlan, planLabel } from "../library-plan.ts";
import { vectorText } from "../load.ts";
import { fmt, interleave, latencyStats, mean, pairedRatio, type Variant } from "../measure.ts";
import type { SuiteResult, Table } from "../report.ts";
import {
  hybridSearch,
  labelIs,
  NO_FILTER,
  pageBelow,
  type SqlFilter,
  textSearch,
  vectorSearch,
} from "../search-sql.ts";
import type { Suite, SuiteContext } from "../suite.ts";
import { exactAll, indexOfId, recallAt } from "../truth.ts";

const TARGET = 1.1;
const K = 10;

export const search: Suite = {
  name: "search",
  summary: "similaritySearch / textSearch / hybridSearch: latency, recall@10, overhead vs hand-written SQL",
  run,
};

interface Case {
  readonly name: string;
  readonly where: Record<string, unknown> | undefined;
  readonly sql: SqlFilter;
  readonly keep: ((r: number) => boolean) | undefined;
}

const CASES: readonly Case[] = [
  { name: "no filter", where: undefined, sql: NO_FILTER, keep: undefined },
  { name: "10% (page < 100)", where: FILTERS["10%"].where, sql: pageBelow(100), keep: FILTERS["10%"].keep },
  { name: "1% (label = 'l0')", where: LABEL_1.where, sql: labelIs("l0"), keep: LABEL_1.keep },
];

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const sizes = ctx.rows ?? [ctx.quick ? 5_000 : 10_000];
  const queryCount = ctx.quick ? 30 : 100;
  const tables: Table[] = [];
  const data: unknown[] = [];
  for (const size of sizes) {
    const { rows, raw } = await runSize(ctx, size, queryCount);
    tables.push({
      title: `Search at ${size} rows x 384 dims (${ctx.family} data): top-${K}, ${queryCount} queries per line, p50 / p95 ms`,
      columns: [
        "search",
        "filter",
        "library plan",
        "library p50 / p95",
        "hand-written p50 / p95",
        "library / hand-written (p50)",
        "per-query ratio (median)",
        `target <= ${TARGET}x`,
        "recall@10",
        "rows returned",
        "hand-written: one statement / batch transaction (per-query)",
        "hand-written: binary / text query vector (per-query)",
      ],
      rows,
    });
    data.push({ size, results: raw });
  }
  return {
    suite: "search",
    target: ctx.target.name,
    description: ctx.target.description,
    command: ctx.command,
    params: { sizes, queries: queryCount, k: K, family: ctx.family },
    tables,
    notes: [
      "Hand-written = the statement the library sends for the plan it chose (read from the settings it sent), written by hand and run with `$queryRawUnsafe` on the same client: one statement, the HNSW settings inside it and the query vector in binary, as the library sends them (src/query/run-search.ts, src/sql/vector-binary.ts).",
      "One statement / batch transaction: the hand-written HNSW vector statement against the same statement with its settings sent first in a batch transaction (`BEGIN; set_config; query; COMMIT`, how the library ran HNSW plans before), median per-query ratio; exact plans need no settings (-).",
      "Binary / text query vector: the hand-written vector statement with the query vector bound in pgvector's binary form (as the library and the hand-written side send it) against the same statement with it in text (as pgvector-node's `toSql` sends it), median per-query ratio.",
      "Per-query ratio: the median over queries of library time / hand-written time for the same query (both run in the same round of variants), which cancels load drifting during the run; the target is judged on it.",
      "Recall@10: vector search against exact top-10 computed in JavaScript; hybrid against the same fusion over an exact vector list; text search is exact by construction, so its column shows agreement with the hand-written statement.",
      "The library's extra time per search is argument validation, filter compilation and its plan choice: EXPLAIN row estimates (the total, and the filter's), each remembered for 10 s per store, so only the first search with a given filter pays those round trips.",
    ],
    data,
  };
}

async function runSize(ctx: SuiteContext, size: number, queryCount: number) {
  const { data, queries } = await ensureDataset(ctx, size, queryCount);
  const base = basePrisma(ctx.target.url, 2, SEARCH_TRANSACTION_TIMEOUT_MS);
  const prisma = storePrisma(
    base,
    precomputedEmbedder(() => new Float32Array(384)),
  );
  const vec = (q: number) => Array.from(vectorOf(queries.vectors, q));
  const vtext = (q: number) => vectorText(vectorOf(queries.vectors, q));
  // Hand-written statements send the query vector as the library does: binary (src/sql/vector-binary.ts).
  const vbin = (q: number) => vectorToBinary(vectorOf(queries.vectors, q));
  const ids = (rows: { id: string }[]) => rows.map((r) => indexOfId(r.id));
  const rows: string[][] = [];
  const raw: unknown[] = [];

  for (const c of CASES) {
    const where = c.where ? { where: c.where } : {};
    const lib = {
      vector: (q: number) => prisma.annotation.similaritySearch({ query: vec(q), take: K, ...where }),
      text: (q: number) => prisma.annotation.textSearch({ query: queries.texts[q]!, take: K, ...where }),
      hybrid: (q: number) =>
        prisma.annotation.hybridSearch({ query: queries.texts[q]!, vector: vec(q), take: K, ...where }),
    };
    const vectorPlan = await observePlan(() => lib.vector(0));
    const hybridPlan = await observePlan(() => lib.hybrid(0));
    const hand = {
      vector: (q: number) =>
        runStatement(prisma, vectorSearch(vbin(q), c.sql, K, vectorPlan.final.kind, vectorPlan.final.efSearch)),
      text: (q: number) => runStatement(prisma, textSearch(queries.texts[q]!, c.sql, K)),
      hybrid: (q: number) =>
        runStatement(
          prisma,
          hybridSearch(vbin(q), queries.texts[q]!, c.sql, K, hybridPlan.final.kind, hybridPlan.final.efSearch),
        ),
    };
    const variants: Record<string, Variant> = {
      "library vector": async (q) => ids(await lib.vector(q)),
      "hand vector": hand.vector,
      // The same statement with its settings in a batch transaction (how the library ran before).
      "hand vector in transaction": (q) =>
        runStatement(
          prisma,
          vectorSearch(vbin(q), c.sql, K, vectorPlan.final.kind, vectorPlan.final.efSearch, "transaction"),
        ),
      // The same statement with the query vector in pgvector's text form, as pgvector-node sends it.
      "hand vector as text": (q) =>
        runStatement(prisma, vectorSearch(vtext(q), c.sql, K, vectorPlan.final.kind, vectorPlan.final.efSearch)),
      "library text": async (q) => ids(await lib.text(q)),
      "hand text": hand.text,
      "library hybrid": async (q) => ids(await lib.hybrid(q)),
      "hand hybrid": hand.hybrid,
    };
    ctx.log(`  ${c.name}: vector plan ${planLabel(vectorPlan)}, hybrid plan ${planLabel(hybridPlan)}`);
    const runs = await interleave(variants, queryCount, 5);
    const vectorTruth = exactAll(data, queries, K, c.keep);
    const hybridTruth: number[][] = [];
    for (let q = 0; q < queryCount; q++) {
      hybridTruth.push(await runStatement(prisma, hybridSearch(vtext(q), queries.texts[q]!, c.sql, K, "exact")));
    }
    const truth = { vector: vectorTruth, text: runs["hand text"]!.results, hybrid: hybridTruth };
    for (const kind of ["vector", "text", "hybrid"] as const) {
      const l = runs[`library ${kind}`]!;
      const h = runs[`hand ${kind}`]!;
      const ls = latencyStats(l.ms);
      const hs = latencyStats(h.ms);
      const overhead = ls.p50 / hs.p50;
      const paired = pairedRatio(l, h);
      const recall = mean(l.results.map((got, q) => recallAt(truth[kind][q]!, got)));
      const inTransaction = runs["hand vector in transaction"]!;
      const oneStatement =
        kind === "vector" && vectorPlan.final.kind !== "exact" ? pairedRatio(h, inTransaction) : null;
      const binary = kind === "vector" ? pairedRatio(h, runs["hand vector as text"]!) : null;
      const plan =
        kind === "vector" ? planLabel(vectorPlan) : kind === "hybrid" ? planLabel(hybridPlan) : "GIN (tsvector)";
      rows.push([
        kind,
        c.name,
        plan,
        `${fmt(ls.p50, 2)} / ${fmt(ls.p95, 2)}`,
        `${fmt(hs.p50, 2)} / ${fmt(hs.p95, 2)}`,
        `${overhead.toFixed(2)}x`,
        `${paired.toFixed(2)}x`,
        paired <= TARGET ? "met" : "missed",
        fmt(recall, 3),
        fmt(mean(l.results.map((r) => r.length)), 1),
        oneStatement === null ? "-" : `${oneStatement.toFixed(2)}x`,
        binary === null ? "-" : `${binary.toFixed(2)}x`,
      ]);
      raw.push({
        case: c.name,
        kind,
        plan,
        library: ls,
        handWritten: hs,
        pairedRatio: paired,
        recall,
        handRecall: mean(h.results.map((got, q) => recallAt(truth[kind][q]!, got))),
        oneStatementVsTransaction: oneStatement,
        binaryVsTextVector: binary,
      });
      ctx.log(
        `    ${kind}: library ${fmt(ls.p50, 2)} ms vs hand-written ${fmt(hs.p50, 2)} ms -> ${overhead.toFixed(2)}x (per query ${paired.toFixed(2)}x), recall ${fmt(recall, 3)}`,
      );
    }
  }
  await base.$disconnect();
  return { rows, raw };
}
