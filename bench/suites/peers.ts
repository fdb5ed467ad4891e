/**
 * peers (issue #8): this library against LangChain.js PGVectorStore and PrismaVectorStore and
 * LlamaIndex.TS PGVectorStore, in one run, on one database, with the same precomputed vectors.
 * Each store writes the first `--api-rows` rows (10k) through its own API into its own table
 * layout, alternating with the others batch by batch: that is its insert rate. Bigger sizes get
 * the rest through each store's untimed bulk path (same table, same values, indexes rebuilt), so
 * a 100k run takes minutes instead of hours on PGlite. Queries alternate query by query.
 */
import { writeFileSync } from "node:fs";
import { barChart } from "../chart.ts";
import {
  createSpace,
  type Dataset,
  generateDataset,
  generateQueries,
  type QuerySet,
  rowOf,
  vectorOf,
} from "../data.ts";
import { forgetDataset } from "../dataset.ts";
import { capture, explainCaptured } from "../explain.ts";
import { withPg } from "../load.ts";
import { fmt, interleave, type LatencyStats, latencyStats, mean } from "../measure.ts";
import { langchainPgvector } from "../peers/langchain-pgvector.ts";
import { langchainPrisma } from "../peers/langchain-prisma.ts";
import { llamaindex } from "../peers/llamaindex.ts";
import { ours } from "../peers/ours.ts";
import type { PeerRow } from "../peers/types.ts";
import { DOCS_DIR, repoPath, type SuiteResult, type Table } from "../report.ts";
import type { Suite, SuiteContext } from "../suite.ts";
import { exactAll, recallAt } from "../truth.ts";
import { CAPABILITIES } from "./peers-capabilities.ts";

const BATCH = 1000;
const API_ROWS = 10_000;
const OURS = "prisma-hybrid-store";

export const peers: Suite = {
  name: "peers",
  summary:
    "vs LangChain PGVectorStore / PrismaVectorStore and LlamaIndex PGVectorStore: insert, top-10 latency, recall",
  run,
};

interface QueryResult {
  readonly latency: LatencyStats;
  readonly recall: number;
  readonly rowsReturned: number;
  readonly plan: string;
}

interface StoreResult {
  readonly name: string;
  readonly layout: string;
  /** Over the rows written through its API. */
  readonly insertRowsPerSecond: number;
  /** Bulk load of the rows after the API part, index rebuild included (0 when there were none). */
  readonly bulkSeconds: number;
  readonly sizeMiB: number;
  readonly unfiltered: QueryResult;
  readonly filtered: QueryResult;
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const sizes = ctx.rows ?? [10_000];
  const space = createSpace();
  const queries = generateQueries(space, ctx.quick ? 30 : 100);
  const data = generateDataset(space, Math.max(...sizes));
  const bySize: { size: number; apiRows: number; stores: StoreResult[] }[] = [];
  for (const size of sizes) {
    const apiRows = Math.min(ctx.apiRows ?? API_ROWS, size);
    bySize.push({ size, apiRows, stores: await runSize(ctx, { ...data, size }, apiRows, queries) });
  }

  const bulk = bySize.some((s) => s.apiRows < s.size);
  const tables: Table[] = [];
  const charts: string[] = [];
  for (const { size, apiRows, stores } of bySize) {
    tables.push(...sizeTables(size, apiRows, stores, queries.count));
    const file = `benchmarks-peers-${ctx.target.name}-${size / 1000}k.svg`;
    writeFileSync(repoPath(`${DOCS_DIR}/${file}`), chart(ctx, size, apiRows, stores));
    charts.push(file);
  }
  tables.push(CAPABILITIES);
  return {
    suite: "peers",
    target: ctx.target.name,
    description: ctx.target.description,
    command: ctx.command,
    params: {
      sizes,
      apiRows: ctx.apiRows ?? API_ROWS,
      queries: queries.count,
      batch: BATCH,
      k: 10,
      efSearch: "server default (40) for the peers",
    },
    tables,
    notes: [
      "Ratios are theirs / ours: above 1 means the peer takes longer (latency) or writes faster (rows/s).",
      `Insert rows/s: over the first ${ctx.apiRows ?? API_ROWS} rows (or all), written through each store's own API in batches of ${BATCH}, stores alternating batch by batch.${bulk ? " The rows after those are appended to each store's own table by an untimed bulk path (multi-row INSERTs of the values its API writes; its HNSW and GIN indexes dropped first and rebuilt from the same definitions), then ANALYZEd." : ""}`,
      "Recall@10 against exact top-10 computed in JavaScript from the generated vectors; a short answer counts its missing rows as misses.",
      "Plan: what EXPLAIN shows for the statement each store sent (captured from the pg driver), with the settings it sent alongside.",
    ],
    charts,
    data: bySize,
  };
}

async function runSize(ctx: SuiteContext, data: Dataset, api: number, queries: QuerySet): Promise<StoreResult[]> {
  const { target, log } = ctx;
  forgetDataset(); // this suite empties the tables the search/plans dataset lives in
  await withPg(target.url, (c) =>
    c.query(`TRUNCATE "Annotation", "Document"; DROP TABLE IF EXISTS langchain_pg_embedding, llamaindex_embedding`),
  );
  const rows: PeerRow[] = Array.from({ length: data.size }, (_, i) => {
    const r = rowOf(data, i);
    return {
      i,
      id: r.id,
      text: r.rawText,
      label: r.label,
      tenant: r.metadata.tenant,
      page: r.page,
      vector: vectorOf(data.vectors, i),
    };
  });
  const byText = new Map(rows.map((r) => [r.text, r.vector]));
  const lookup = (text: string) => {
    const v = byText.get(text);
    if (!v) throw new Error(`no precomputed vector for ${JSON.stringify(text.slice(0, 40))}`);
    return v;
  };
  const stores = [
    ours(target.url, lookup),
    langchainPgvector(target.url, lookup),
    langchainPrisma(target.url, lookup),
    llamaindex(target.url, lookup),
  ];
  for (const s of stores) await s.setup();

  log(`  ${data.size} rows: the first ${api} through each store's API in batches of ${BATCH}, stores alternating`);
  const insertMs = new Map(stores.map((s) => [s.name, 0]));
  for (let start = 0, b = 0; start < api; start += BATCH, b++) {
    const batch = rows.slice(start, Math.min(start + BATCH, api));
    for (let k = 0; k < stores.length; k++) {
      const s = stores[(b + k) % stores.length]!;
      const t = performance.now();
      await s.insert(batch);
      insertMs.set(s.name, insertMs.get(s.name)! + performance.now() - t);
    }
  }
  const bulkSeconds = new Map(stores.map((s) => [s.name, 0]));
  if (api < data.size) {
    for (const s of stores) {
      log(`  ${s.name}: bulk load of rows ${api + 1}-${data.size}`);
      const t = performance.now();
      await s.bulkLoad(rows.slice(api), log);
      bulkSeconds.set(s.name, (performance.now() - t) / 1000);
      log(`  ${s.name}: bulk load ${fmt(bulkSeconds.get(s.name)!, 0)} s`);
    }
  }
  const sizes = await withPg(target.url, async (c) => {
    const out = new Map<string, number>();
    for (const s of stores) {
      for (const table of s.tables) await c.query(`ANALYZE "${table}"`);
      const { rows: r } = await c.query<{ b: string }>(
        `SELECT sum(pg_total_relation_size(quote_ident(t)))::text AS b FROM unnest($1::text[]) AS t`,
        [s.tables],
      );
      out.set(s.name, Number(r[0]!.b) / 2 ** 20);
    }
    return out;
  });

  log(`  exact top-10 in JavaScript for ${queries.count} queries`);
  const truth = {
    unfiltered: exactAll(data, queries, 10),
    filtered: exactAll(data, queries, 10, (r) => r % 100 === 0),
  };
  const vector = (q: number) => Array.from(vectorOf(queries.vectors, q));
  const measure = async (filtered: boolean) => {
    const variants = Object.fromEntries(stores.map((s) => [s.name, (q: number) => s.search(vector(q), filtered)]));
    return interleave(variants, queries.count, 5);
  };
  log("  queries: no filter");
  const unf = await measure(false);
  log("  queries: 1% filter");
  const fil = await measure(true);

  const results: StoreResult[] = [];
  for (const s of stores) {
    const summary = async (runs: typeof unf, want: number[][], filtered: boolean): Promise<QueryResult> => {
      const run = runs[s.name]!;
      const { queries: sent } = await capture(() => s.search(vector(0), filtered));
      return {
        latency: latencyStats(run.ms),
        recall: mean(run.results.map((got, q) => recallAt(want[q]!, got))),
        rowsReturned: mean(run.results.map((got) => got.length)),
        plan: await explainCaptured(target.url, sent),
      };
    };
    results.push({
      name: s.name,
      layout: s.layout,
      insertRowsPerSecond: api / (insertMs.get(s.name)! / 1000),
      bulkSeconds: bulkSeconds.get(s.name)!,
      sizeMiB: sizes.get(s.name)!,
      unfiltered: await summary(unf, truth.unfiltered, false),
      filtered: await summary(fil, truth.filtered, true),
    });
  }
  for (const s of stores) await s.close();
  for (const r of results) {
    log(
      `  ${r.name}: ${fmt(r.insertRowsPerSecond, 0)} rows/s; p50 ${fmt(r.unfiltered.latency.p50, 2)} / ${fmt(r.filtered.latency.p50, 2)} ms; recall ${fmt(r.unfiltered.recall, 3)} / ${fmt(r.filtered.recall, 3)}`,
    );
  }
  return results;
}

function sizeTables(size: number, api: number, stores: StoreResult[], queryCount: number): Table[] {
  const ourResult = stores.find((s) => s.name === OURS)!;
  const vs = (theirs: number, mine: number, name: string) =>
    name === OURS ? "1.00x" : `${(theirs / mine).toFixed(2)}x`;
  const ms = (l: LatencyStats) => `${fmt(l.p50, 2)} / ${fmt(l.p95, 2)}`;
  return [
    {
      title: `Peers, ${size} rows x 384 dims: insert and storage`,
      columns: [
        "store",
        `insert rows/s (first ${api} rows, own API)`,
        "rows/s theirs / ours",
        "table + indexes",
        "layout",
      ],
      rows: stores.map((s) => [
        s.name,
        fmt(s.insertRowsPerSecond, 0),
        vs(s.insertRowsPerSecond, ourResult.insertRowsPerSecond, s.name),
        `${fmt(s.sizeMiB, 1)} MiB`,
        s.layout,
      ]),
    },
    {
      title: `Peers, ${size} rows: top-10 queries (${queryCount} queries each, p50 / p95 ms)`,
      columns: [
        "store",
        "no filter p50 / p95",
        "p50 theirs / ours",
        "recall@10",
        "plan",
        "1% filter p50 / p95",
        "p50 theirs / ours",
        "recall@10",
        "rows returned",
        "plan",
      ],
      rows: stores.map((s) => [
        s.name,
        ms(s.unfiltered.latency),
        vs(s.unfiltered.latency.p50, ourResult.unfiltered.latency.p50, s.name),
        fmt(s.unfiltered.recall, 3),
        s.unfiltered.plan,
        ms(s.filtered.latency),
        vs(s.filtered.latency.p50, ourResult.filtered.latency.p50, s.name),
        fmt(s.filtered.recall, 3),
        fmt(s.filtered.rowsReturned, 1),
        s.filtered.plan,
      ]),
    },
  ];
}

function chart(ctx: SuiteContext, size: number, api: number, stores: StoreResult[]): string {
  const series = ["no filter", "1% filter"];
  return barChart(
    `Vector stores on PostgreSQL + pgvector: ${size / 1000}k rows x 384 dims, top-10`,
    `${ctx.target.description}. Reproduce: ${ctx.command}`,
    [
      {
        title: `Insert (rows/s over the first ${api / 1000}k rows via each store's API, higher is better)`,
        series: ["insert"],
        groups: stores.map((s) => ({ label: s.name, values: [s.insertRowsPerSecond] })),
        format: (v) => fmt(v, 0),
      },
      {
        title: "Query latency p50 (ms, lower is better)",
        series,
        groups: stores.map((s) => ({ label: s.name, values: [s.unfiltered.latency.p50, s.filtered.latency.p50] })),
        format: (v) => fmt(v, 2),
      },
      {
        title: "Recall@10 against exact search (higher is better)",
        series,
        groups: stores.map((s) => ({ label: s.name, values: [s.unfiltered.recall, s.filtered.recall] })),
        format: (v) => fmt(v, 2),
      },
    ],
  );
}
