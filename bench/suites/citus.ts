/**
 * citus (issue #21): one PostgreSQL server against a Citus coordinator with its workers, at one
 * or more shard counts, in one run. Ingest through the library (`createMany` of rows with their
 * vectors, indexes in place as in a live app) and vector search through `explainSearch`
 * unfiltered and under 10% / 1% filters: p50/p95 and recall@10 against exact top-10 computed in
 * JavaScript. Bars: 2-worker ingest >= 1.6x one node; filtered p50 <= 1.2x one node; recall@10
 * >= 0.99 filtered, >= 0.95 unfiltered.
 *
 *   BENCH_DATABASE_URL=<one server> CITUS_URL=<coordinator> npm run bench -- citus [--rows 20000]
 *
 * PHS_BENCH_CITUS_SHARDS lists the shard counts of "Annotation" to try (default 4,32).
 */
import { createCitusScratchDatabase } from "../../scripts/citus-scratch-database.ts";
import { distributeOnCitus } from "../../src/db/citus-distribute.ts";
import { withEmbedding } from "../../src/extension.ts";
import { basePrisma, precomputedEmbedder, SEARCH_TRANSACTION_TIMEOUT_MS, storePrisma } from "../clients.ts";
import {
  createSpace,
  type Dataset,
  documentCount,
  FILTERS,
  generateDataset,
  generateQueries,
  rowOf,
  vectorOf,
} from "../data.ts";
import { insertDocuments, withPg } from "../load.ts";
import { fmt, interleave, latencyStats, mean, pairedRatio, type Variant } from "../measure.ts";
import { Random } from "../random.ts";
import type { SuiteResult } from "../report.ts";
import type { Suite, SuiteContext } from "../suite.ts";
import { migrate } from "../target.ts";
import { exactAll, indexOfId, recallAt } from "../truth.ts";

const K = 10;
const BATCH = 500;
const CASES = [
  { name: "unfiltered", where: undefined, keep: undefined, recallTarget: 0.95 },
  { name: "10%", where: FILTERS["10%"].where, keep: FILTERS["10%"].keep, recallTarget: 0.99 },
  { name: "1%", where: FILTERS["1%"].where, keep: FILTERS["1%"].keep, recallTarget: 0.99 },
] as const;

export const citus: Suite = {
  name: "citus",
  summary: "one server vs a Citus coordinator + workers: ingest rows/s, search p50/p95, recall@10 (needs CITUS_URL)",
  run,
};

interface Setup {
  readonly name: string;
  readonly url: string;
  readonly drop?: () => Promise<void>;
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const citusUrl = process.env.CITUS_URL;
  if (!citusUrl) throw new Error("set CITUS_URL to a Citus coordinator (../shared/scripts/citus-cluster.sh start)");
  if (ctx.target.name !== "postgres") throw new Error("the one-node baseline must be a server: set BENCH_DATABASE_URL");
  const size = ctx.rows?.[0] ?? (ctx.quick ? 5_000 : 20_000);
  const queryCount = ctx.quick ? 20 : 50;
  const shardCounts = (process.env.PHS_BENCH_CITUS_SHARDS ?? "4,32").split(",").map(Number);
  const space = createSpace();
  const data = generateDataset(space, size);
  const queries = generateQueries(space, queryCount);
  const workers = await withPg(citusUrl, async (c) => {
    const r = await c.query("SELECT count(*)::int AS n FROM pg_dist_node WHERE groupid > 0 AND isactive");
    return r.rows[0].n as number;
  });
  const setups: Setup[] = [{ name: "one node", url: ctx.target.url }];
  try {
    for (const shards of shardCounts) {
      const scratch = await createCitusScratchDatabase(citusUrl);
      setups.push({ name: `Citus, ${workers} workers, ${shards} shards`, url: scratch.url, drop: scratch.drop });
      await migrate(scratch.url);
      await withPg(scratch.url, (c) => distributeOnCitus(c, { shardCount: shards }));
    }
    const seconds = await ingest(setups, data);
    const ingestRaw = setups.map((setup, i) => ({
      setup: setup.name,
      seconds: seconds[i]!,
      rowsPerSecond: size / seconds[i]!,
    }));
    const ingestRows = ingestRaw.map((r) => [
      r.setup,
      String(size),
      fmt(r.seconds, 1),
      fmt(r.rowsPerSecond, 0),
      `${(r.rowsPerSecond / ingestRaw[0]!.rowsPerSecond).toFixed(2)}x`,
    ]);
    for (const r of ingestRaw) ctx.log(`  ingest ${r.setup}: ${fmt(r.rowsPerSecond, 0)} rows/s`);
    const searchRows: string[][] = [];
    const searchRaw: unknown[] = [];
    const clients = setups.map((s) => {
      const base = basePrisma(s.url, 2, SEARCH_TRANSACTION_TIMEOUT_MS);
      return {
        base,
        prisma: storePrisma(
          base,
          precomputedEmbedder(() => new Float32Array(384)),
        ),
      };
    });
    try {
      for (const c of CASES) {
        const plans = setups.map(() => new Map<string, number>());
        const variants: Record<string, Variant> = {};
        setups.forEach((setup, i) => {
          variants[setup.name] = async (q) => {
            const { rows, plan } = await clients[i]!.prisma.annotation.explainSearch({
              query: Array.from(vectorOf(queries.vectors, q)),
              take: K,
              ...(c.where ? { where: c.where } : {}),
            });
            const kind = plan.fellBack ? `${plan.kind} then exact` : plan.kind;
            plans[i]!.set(kind, (plans[i]!.get(kind) ?? 0) + 1);
            return rows.map((r) => indexOfId(r.id));
          };
        });
        const runs = await interleave(variants, queryCount, 3);
        const truth = exactAll(data, queries, K, c.keep);
        const one = runs[setups[0]!.name]!;
        setups.forEach((setup, i) => {
          const r = runs[setup.name]!;
          const stats = latencyStats(r.ms);
          const recall = mean(r.results.map((got, q) => recallAt(truth[q]!, got)));
          const ratio = i === 0 ? 1 : pairedRatio(r, one);
          const planText = [...plans[i]!].map(([k, n]) => `${k} ${n}`).join(", ");
          searchRows.push([
            c.name,
            setup.name,
            `${fmt(stats.p50, 1)} / ${fmt(stats.p95, 1)}`,
            `${ratio.toFixed(2)}x`,
            fmt(recall, 3),
            recall >= c.recallTarget ? "met" : "missed",
            planText,
          ]);
          searchRaw.push({
            case: c.name,
            setup: setup.name,
            latency: stats,
            pairedRatio: ratio,
            recall,
            plans: planText,
          });
          ctx.log(
            `  ${c.name} ${setup.name}: p50 ${fmt(stats.p50, 1)} ms (${ratio.toFixed(2)}x), recall ${fmt(recall, 3)}`,
          );
        });
      }
    } finally {
      await Promise.all(clients.map((c) => c.base.$disconnect()));
    }
    return {
      suite: "citus",
      target: ctx.target.name,
      description: `${ctx.target.description} vs Citus 13.2 (coordinator + ${workers} workers on the same machine)`,
      command: `CITUS_URL=... ${ctx.command}`,
      params: { size, queries: queryCount, k: K, shardCounts, workers, batch: BATCH },
      tables: [
        {
          title: `Ingest: ${size} rows through createMany (${BATCH} rows per call, vectors given, indexes in place)`,
          columns: ["setup", "rows", "seconds", "rows/s", "vs one node"],
          rows: ingestRows,
        },
        {
          title: `Vector search, ${queryCount} queries, top ${K} (explainSearch, plan chosen by the library)`,
          columns: ["filter", "setup", "p50 / p95 ms", "p50 vs one node", "recall@10", "recall target", "plans"],
          rows: searchRows,
        },
      ],
      notes: [
        "All nodes run on the same machine as the benchmark (and, in this project's runs, beside other work): the workers share its cores, so a 2-worker cluster has no more CPU than one node here.",
        "Ingest: each batch of 500 rows is written to every setup in turn (shuffled order), so drifting load weighs on all setups alike; rows/s counts the time spent in createMany only.",
        "p50 vs one node: the median over queries of the cluster's time / one node's time for the same query (all setups run each query in one round, in shuffled order).",
        "Recall@10 against exact top-10 computed in JavaScript from the generated vectors. Plans: the plan each search ran, with how often (the 3 warm-up queries included).",
      ],
      data: { ingest: ingestRaw, search: searchRaw },
    };
  } finally {
    for (const s of setups) await s.drop?.();
  }
}

/**
 * Documents with plain SQL, then every annotation through the library's createMany, batch by
 * batch, each batch written to every setup in turn (in a shuffled order), so load drifting during
 * the run weighs on all of them alike. Seconds spent in createMany, per setup.
 */
async function ingest(setups: readonly Setup[], data: Dataset): Promise<number[]> {
  const clients = setups.map((s) => {
    const base = basePrisma(s.url, 2);
    return {
      base,
      prisma: storePrisma(
        base,
        precomputedEmbedder(() => new Float32Array(384)),
      ),
    };
  });
  const seconds = setups.map(() => 0);
  const random = new Random(2112);
  try {
    for (const s of setups) await withPg(s.url, (c) => insertDocuments(c, documentCount(data.size)));
    for (let start = 0; start < data.size; start += BATCH) {
      const rows = [];
      for (let i = start; i < Math.min(start + BATCH, data.size); i++) {
        rows.push({ ...rowOf(data, i), ...withEmbedding(vectorOf(data.vectors, i)) });
      }
      const order = setups.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const i of order) {
        const t = performance.now();
        await clients[i]!.prisma.annotation.createMany({ data: rows });
        seconds[i]! += (performance.now() - t) / 1000;
      }
    }
    for (const s of setups) await withPg(s.url, (c) => c.query(`ANALYZE "Annotation"`));
    return seconds;
  } finally {
    await Promise.all(clients.map((c) => c.base.$disconnect()));
  }
}
