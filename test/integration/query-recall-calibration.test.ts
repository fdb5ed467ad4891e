import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createSpace, type Family, generateDataset, generateQueries, vectorOf } from "../../bench/data.ts";
import { hybridStore } from "../../src/extension.ts";
import { ESTIMATE_TTL_MS } from "../../src/query/row-estimates.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { exactTopK, recallOf } from "../helpers/exact-oracle.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { bulkInsertAnnotations } from "../helpers/vectors.ts";

/**
 * Recall calibration (issue #22): on clustered, low-rank and near-isotropic data (4,000 rows
 * each, seeded), over a weaker HNSW graph than the migrations build (pgvector's default
 * ef_construction 64, not 128; on the near-isotropic data the fixed ef_search 100 misses 0.95),
 * searches through the library meet the recall targets (0.95 unfiltered, 0.99 under a filter)
 * against PostgreSQL's own exact scan, and explainSearch shows what was measured. The queries
 * are new points of each distribution, not rows of the table (calibration samples rows).
 */
const ROWS = 4000;
const QUERIES = 20;
const K = 10;
const base = createPrisma();
const label = uniqueLabel("calib");
const embedder = tinyEmbedder();

after(async () => {
  await base.document.deleteMany({ where: { label } });
  await restoreIndex();
  await base.$disconnect();
});

/** Replaces the table's rows with `family`'s (other files' rows are gone by now) under that graph. */
async function load(family: Family, rows = ROWS, seed = 7): Promise<{ documentId: string; queries: number[][] }> {
  const space = createSpace({ family, seed });
  const data = generateDataset(space, rows);
  await base.document.deleteMany({ where: { label } });
  const doc = await base.document.create({ data: { content: `calibration corpus ${family}`, label } });
  await withPg(async (pg) => {
    await pg.query("BEGIN");
    await pg.query(`DROP INDEX "Annotation_embedding_hnsw_idx"`);
    await pg.query(`DELETE FROM "Annotation"`);
    await insert(pg, doc.id, data, 0, rows);
    await pg.query(
      `CREATE INDEX "Annotation_embedding_hnsw_idx" ON "Annotation" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 16, ef_construction = 64)`,
    );
    await pg.query("COMMIT");
    await pg.query(`VACUUM ANALYZE "Annotation"`);
  });
  const q = generateQueries(space, QUERIES);
  return { documentId: doc.id, queries: Array.from({ length: QUERIES }, (_, i) => Array.from(vectorOf(q.vectors, i))) };
}

type Pg = Parameters<Parameters<typeof withPg>[0]>[0];
async function insert(pg: Pg, documentId: string, data: ReturnType<typeof generateDataset>, from: number, to: number) {
  const rows = [];
  for (let i = from; i < to; i++) {
    rows.push({ rawText: `row ${i}`, label, page: data.r[i]!, vector: Array.from(vectorOf(data.vectors, i)) });
  }
  await bulkInsertAnnotations(
    { $executeRawUnsafe: async (sql, ...values) => (await pg.query(sql, values)).rowCount ?? 0 },
    documentId,
    rows,
  );
}

async function restoreIndex() {
  await withPg(async (pg) => {
    await pg.query(`DROP INDEX IF EXISTS "Annotation_embedding_hnsw_idx"`);
    await pg.query(
      `CREATE INDEX "Annotation_embedding_hnsw_idx" ON "Annotation" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 16, ef_construction = 128)`,
    );
  });
}

for (const family of ["clustered", "lowrank", "isotropic"] as const) {
  describe(`recall calibration on ${family} data (${ROWS} rows, ef_construction 64)`, () => {
    let queries: number[][] = [];

    test("unfiltered: the calibrated plan meets 0.95 where the fixed default may not", async (t) => {
      ({ queries } = await load(family));
      const truth = await exactTopK(queries, K);
      const fixed = base.$extends(hybridStore({ embedder, recall: false }));
      const calibrated = base.$extends(hybridStore({ embedder }));
      const fixedRows: string[][] = [];
      const got: string[][] = [];
      let plan: Awaited<ReturnType<typeof calibrated.annotation.explainSearch>>["plan"] | undefined;
      for (const query of queries) {
        fixedRows.push((await fixed.annotation.similaritySearch({ query, take: K })).map((r) => r.id));
        const r = await calibrated.annotation.explainSearch({ query, take: K, plan: "hnsw" });
        got.push(r.rows.map((x) => x.id));
        plan ??= r.plan;
      }
      const recall = recallOf(truth, got);
      t.diagnostic(
        `${family}: fixed ef_search 100 recall@10 ${recallOf(truth, fixedRows).toFixed(3)}; calibrated ${recall.toFixed(3)} ` +
          `with ${plan!.kind} ef_search ${plan!.efSearch} (expected ${plan!.recall.expected}); ${plan!.reason}`,
      );
      assert.ok(recall >= 0.95, `recall ${recall}`);
      assert.equal(plan!.recall.target, 0.95);
      assert.ok(plan!.recall.calibratedAt instanceof Date, "the table was calibrated");
      assert.ok(plan!.recall.expected !== null && plan!.recall.expected >= 0.975, "half the misses in reserve");
    });

    test("under a 10% filter, plan hnsw (iterative scan): the calibrated ef_search meets 0.99", async (t) => {
      const truth = await exactTopK(queries, K, 100);
      const store = base.$extends(hybridStore({ embedder }));
      const got: string[][] = [];
      let plan: Awaited<ReturnType<typeof store.annotation.explainSearch>>["plan"] | undefined;
      for (const query of queries) {
        const r = await store.annotation.explainSearch({ query, where: { page: { lt: 100 } }, take: K, plan: "hnsw" });
        got.push(r.rows.map((x) => x.id));
        plan ??= r.plan;
      }
      const recall = recallOf(truth, got);
      t.diagnostic(
        `${family} 10% filter: recall@10 ${recall.toFixed(3)}; ${plan!.kind} ef ${plan!.efSearch}; ${plan!.reason}`,
      );
      assert.equal(plan!.recall.target, 0.99);
      assert.ok(plan!.recall.calibratedAt instanceof Date);
      assert.ok(recall >= 0.99, `recall ${recall}`);
    });
  });
}

describe("calibration refresh", () => {
  test("a per-search recallTarget moves ef_search; calibration is measured again once the row count moves by > 20%", async () => {
    const { documentId } = await load("lowrank", 3500, 11);
    const store = base.$extends(hybridStore({ embedder }));
    const query = Array.from(vectorOf(generateQueries(createSpace({ family: "lowrank", seed: 11 }), 1).vectors, 0));
    const first = (await store.annotation.explainSearch({ query, take: K, plan: "hnsw" })).plan;
    assert.ok(first.recall.calibratedAt instanceof Date);
    const again = (await store.annotation.explainSearch({ query, take: K, plan: "hnsw" })).plan;
    assert.equal(again.recall.calibratedAt?.getTime(), first.recall.calibratedAt.getTime(), "cached per store");
    const loose = (await store.annotation.explainSearch({ query, take: K, plan: "hnsw", recallTarget: 0.5 })).plan;
    assert.equal(loose.recall.target, 0.5);
    assert.ok(loose.efSearch! <= first.efSearch!, "a lower target never needs a higher ef_search");

    // Grow the table by 43% (the same distribution), refresh the planner's statistics, and let
    // the store's 10 s row estimate expire.
    const space = createSpace({ family: "lowrank", seed: 11 });
    const data = generateDataset(space, 5000);
    await withPg(async (pg) => {
      await insert(pg, documentId, data, 3500, 5000);
      await pg.query(`ANALYZE "Annotation"`);
    });
    await sleep(ESTIMATE_TTL_MS + 500);
    // The search that finds it stale does not wait: it runs on the old measurement, and the new
    // one is made in the background for the searches after it.
    const stale = (await store.annotation.explainSearch({ query, take: K, plan: "hnsw" })).plan;
    assert.equal(stale.recall.calibratedAt?.getTime(), first.recall.calibratedAt.getTime(), "served while measured");
    let later = stale;
    for (let i = 0; i < 600 && later.recall.calibratedAt?.getTime() === first.recall.calibratedAt.getTime(); i++) {
      await sleep(100);
      later = (await store.annotation.explainSearch({ query, take: K, plan: "hnsw" })).plan;
    }
    assert.ok(later.recall.calibratedAt instanceof Date);
    assert.ok(later.recall.calibratedAt.getTime() > first.recall.calibratedAt.getTime(), "measured again");
  });

  test("a table that more than doubled is measured again before the search that finds it", async () => {
    const { documentId } = await load("lowrank", 1500, 12);
    const store = base.$extends(hybridStore({ embedder }));
    const space = createSpace({ family: "lowrank", seed: 12 });
    const query = Array.from(vectorOf(generateQueries(space, 1).vectors, 0));
    const first = (await store.annotation.explainSearch({ query, take: K, plan: "hnsw" })).plan;
    assert.ok(first.recall.calibratedAt instanceof Date);
    await withPg(async (pg) => {
      await insert(pg, documentId, generateDataset(space, 4000), 1500, 4000);
      await pg.query(`ANALYZE "Annotation"`);
    });
    await sleep(ESTIMATE_TTL_MS + 500);
    const later = (await store.annotation.explainSearch({ query, take: K, plan: "hnsw" })).plan;
    assert.ok(later.recall.calibratedAt instanceof Date);
    assert.ok(later.recall.calibratedAt.getTime() > first.recall.calibratedAt.getTime(), "measured before the search");
  });

  test("bad recall options are rejected when the extension is made", () => {
    assert.throws(() => hybridStore({ recall: { unfiltered: 1.5 } }), /recall.unfiltered must be/);
    assert.throws(() => hybridStore({ recall: { maxAgeMs: -1 } }), /recall.maxAgeMs/);
  });
});
