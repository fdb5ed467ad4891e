import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSpace, generateDataset, generateQueries, vectorOf } from "../../bench/data.ts";
import { indexMigrationSql } from "../../src/cli/index-migration.ts";
import { hybridStore } from "../../src/extension.ts";
import { TRUE } from "../../src/query/filter-nodes.ts";
import type { SearchPlan } from "../../src/query/plan.ts";
import { buildSimilarityQuery } from "../../src/query/similarity-search.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { exactTopK, recallOf } from "../helpers/exact-oracle.ts";
import { projectSchema } from "../helpers/query.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { bulkInsertAnnotations, cosineDistance } from "../helpers/vectors.ts";

/**
 * The halfvec index (issue #22, docs/scaling.md): after the migration `prisma-hybrid-store index
 * --halfvec` writes (run as Prisma's adapter runs one: split at each `;`), which rebuilds the
 * HNSW indexes on `(embedding::halfvec(384)) halfvec_cosine_ops`, a new store finds it, walks it (EXPLAIN
 * names it), re-ranks its candidates by the full-precision distance, and meets the recall
 * targets against PostgreSQL's exact scan: 0.95 unfiltered, 0.99 under a 10% filter. 4,000
 * low-rank rows (the family where recall is hardest short of isotropic noise), seeded.
 */
const ROWS = 4000;
const QUERIES = 20;
const K = 10;
// The name of the migrations' index: the documented migration swaps one for the other.
const HALFVEC_INDEX = "Annotation_embedding_hnsw_idx";
const base = createPrisma();
const label = uniqueLabel("halfvec");
const embedder = tinyEmbedder();
const schema = projectSchema();
const space = createSpace({ family: "lowrank", seed: 5 });
const data = generateDataset(space, ROWS);
const vectors = new Map<string, number[]>();
const queries = Array.from({ length: QUERIES }, (_, i) =>
  Array.from(vectorOf(generateQueries(space, QUERIES).vectors, i)),
);

before(async () => {
  await base.document.deleteMany({ where: { label } });
  const doc = await base.document.create({ data: { content: "halfvec corpus", label } });
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    rawText: `row ${i}`,
    label,
    page: data.r[i]!,
    vector: Array.from(vectorOf(data.vectors, i)),
  }));
  await withPg(async (pg) => {
    await pg.query("BEGIN");
    await pg.query(`DELETE FROM "Annotation"`);
    const ids = await bulkInsertAnnotations(
      { $executeRawUnsafe: async (sql, ...values) => (await pg.query(sql, values)).rowCount ?? 0 },
      doc.id,
      rows,
    );
    for (const [i, id] of ids.entries()) vectors.set(id, rows[i]!.vector);
    await runMigration(pg, indexMigrationSql("halfvec"));
    await pg.query("COMMIT");
    await pg.query(`VACUUM ANALYZE "Annotation"`);
  });
});

after(async () => {
  await base.document.deleteMany({ where: { label } });
  await withPg((pg) => runMigration(pg, indexMigrationSql("vector")));
  await base.$disconnect();
});

type Pg = Parameters<Parameters<typeof withPg>[0]>[0];
async function runMigration(pg: Pg, sql: string) {
  for (const statement of sql.split(";")) if (statement.replace(/--.*$/gm, "").trim()) await pg.query(statement);
}

describe(`halfvec HNSW index with exact re-ranking (${ROWS} low-rank rows)`, () => {
  test("the store finds the halfvec index and the HNSW statement walks it", async () => {
    const store = base.$extends(hybridStore({ embedder, recall: false }));
    const { plan } = await store.annotation.explainSearch({ query: queries[0]!, take: K, plan: "hnsw" });
    assert.deepEqual(plan.index, { type: "halfvec", dimensions: 384 });
    const sql = buildSimilarityQuery(schema, schema.Annotation, { vector: queries[0]!, filter: TRUE, take: K }, plan);
    const explained = await withPg(async (pg) => pg.query(`EXPLAIN ${sql.sql}`, [...sql.params]));
    const text = explained.rows.map((r) => r["QUERY PLAN"]).join("\n");
    assert.match(text, new RegExp(`Index Scan using "?${HALFVEC_INDEX}"?`));
  });

  test("unfiltered: recall@10 >= 0.95, exact distances, nearest first", async (t) => {
    const truth = await exactTopK(queries, K);
    const store = base.$extends(hybridStore({ embedder }));
    const got: string[][] = [];
    let plan: SearchPlan | undefined;
    for (const query of queries) {
      const r = await store.annotation.explainSearch({ query, take: K, plan: "hnsw" });
      got.push(r.rows.map((x) => x.id));
      plan ??= r.plan;
      assert.equal(r.rows.length, K);
      for (const [i, row] of r.rows.entries()) {
        // Full precision: a halfvec distance is off by ~1e-3 on these vectors.
        assert.ok(Math.abs(row.distance - cosineDistance(vectors.get(row.id)!, query)) < 1e-5, "exact distance");
        if (i > 0) assert.ok(row.distance >= r.rows[i - 1]!.distance, "ordered by exact distance");
      }
    }
    const recall = recallOf(truth, got);
    t.diagnostic(
      `halfvec unfiltered: recall@10 ${recall.toFixed(3)}, ${plan!.kind} ef ${plan!.efSearch}; ${plan!.reason}`,
    );
    assert.equal(plan!.index?.type, "halfvec");
    assert.ok(plan!.recall.calibratedAt instanceof Date, `calibrated on the halfvec index: ${plan!.reason}`);
    assert.ok(recall >= 0.95, `recall ${recall}`);
  });

  test("under a 10% filter (iterative scan): recall@10 >= 0.99", async (t) => {
    const truth = await exactTopK(queries, K, 100);
    const store = base.$extends(hybridStore({ embedder }));
    const got: string[][] = [];
    let plan: SearchPlan | undefined;
    for (const query of queries) {
      const r = await store.annotation.explainSearch({ query, where: { page: { lt: 100 } }, take: K, plan: "hnsw" });
      got.push(r.rows.map((x) => x.id));
      plan ??= r.plan;
    }
    const recall = recallOf(truth, got);
    t.diagnostic(`halfvec 10% filter: recall@10 ${recall.toFixed(3)}, ${plan!.kind} ef ${plan!.efSearch}`);
    assert.equal(plan!.kind, "hnsw-iterative");
    assert.equal(plan!.index?.type, "halfvec");
    assert.ok(recall >= 0.99, `recall ${recall}`);
  });

  test("paging and hybrid search work on the halfvec index", async () => {
    const store = base.$extends(hybridStore({ embedder, recall: false }));
    const query = queries[1]!;
    const all = await store.annotation.similaritySearch({ query, take: 2 * K, plan: "hnsw" });
    const second = await store.annotation.similaritySearch({ query, take: K, skip: K, plan: "hnsw" });
    assert.deepEqual(
      second.map((r) => r.id),
      all.slice(K).map((r) => r.id),
    );
    const hybrid = await store.annotation.hybridSearch({ query: "row", take: K, plan: "hnsw" });
    assert.equal(hybrid.length, K);
  });
  test("the `index --vector` migration switches back: a new store walks the vector index", async () => {
    await withPg((pg) => runMigration(pg, indexMigrationSql("vector")));
    const store = base.$extends(hybridStore({ embedder, recall: false }));
    const { plan } = await store.annotation.explainSearch({ query: queries[0]!, take: K, plan: "hnsw" });
    assert.deepEqual(plan.index, { type: "vector" });
  });
});
