import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type pg from "pg";
import { hybridStore } from "../../src/extension.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import type { SearchPlan } from "../../src/query/plan.ts";
import { RowEstimates } from "../../src/query/row-estimates.ts";
import type { SearchClient } from "../../src/query/run-search.ts";
import { buildSimilarityQuery, runSimilaritySearch } from "../../src/query/similarity-search.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { projectSchema } from "../helpers/query.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import type { BulkRow } from "../helpers/vectors.ts";
import {
  bruteForce,
  bulkInsertAnnotations,
  gaussian,
  nearby,
  randomUnit,
  rng,
  vectorText,
} from "../helpers/vectors.ts";

/**
 * Filtered search with the HNSW index: 3,000 clustered vectors (40 Gaussian centres plus noise,
 * normalized, like sentence embeddings), of which 1% match the filter. The bare index returns
 * only the matching rows among its ef_search nearest (the silent short result of other stores);
 * with pgvector's iterative scan the search keeps recall@10 >= 0.95, and the auto plan scans the
 * few matching rows exactly.
 */
const ROWS = 3000;
const QUERIES = 20;
const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const schema = projectSchema();
const label = uniqueLabel("recall");
const random = rng(20261125);
const normal = gaussian(random);
const centres = Array.from({ length: 40 }, () => randomUnit(normal));
const round = (v: number[]) => v.map((x) => Number(x.toFixed(5)));
let filtered: { id: string; vector: number[] }[] = [];
let documentId = "";

before(async () => {
  const doc = await base.document.create({ data: { content: "recall corpus", label } });
  documentId = doc.id;
  const rows: BulkRow[] = Array.from({ length: ROWS }, (_, i) => ({
    rawText: i % 100 === 0 ? `row ${i} ${label}` : `row ${i}`,
    label: i % 100 === 0 ? label : `${label}-other`,
    vector: round(nearby(centres[Math.floor(random() * centres.length)]!, normal, 0.8)),
  }));
  // PGlite maintains HNSW at ~10 ms per inserted row; building it once after the insert is ~10x
  // faster. Drop, insert and rebuild in one transaction (the same index the migration makes),
  // so a failure leaves the schema as it was.
  await withPg(async (pg) => {
    await pg.query("BEGIN");
    await pg.query(`DROP INDEX "Annotation_embedding_hnsw_idx"`);
    const ids = await bulkInsertAnnotations(
      { $executeRawUnsafe: async (sql, ...values) => (await pg.query(sql, values)).rowCount ?? 0 },
      documentId,
      rows,
    );
    await pg.query(
      `CREATE INDEX "Annotation_embedding_hnsw_idx" ON "Annotation" USING hnsw ("embedding" vector_cosine_ops)`,
    );
    await pg.query("COMMIT");
    filtered = rows.flatMap((r, i) => (r.label === label ? [{ id: ids[i]!, vector: r.vector as number[] }] : []));
  });
  assert.equal(filtered.length, ROWS / 100);
});

after(async () => {
  await base.document.deleteMany({ where: { label } });
  await base.$disconnect();
});

const queries = () =>
  Array.from({ length: QUERIES }, (_, q) => nearby(centres[(q * 7) % centres.length]!, normal, 0.8));

/** The search runner on a plain pg connection (as the LlamaIndex adapter would use it). */
const rawClient = (pg: pg.Client): SearchClient => ({
  $queryRawUnsafe: async <T>(sql: string, ...values: unknown[]) => (await pg.query(sql, values)).rows as T,
  $executeRawUnsafe: async (sql: string, ...values: unknown[]) => (await pg.query(sql, values)).rowCount ?? 0,
});

describe("recall of filtered search (1% of 3,000 clustered rows)", () => {
  test("the HNSW index with iterative scan: recall@10 >= 0.95, exact distances, never short", async (t) => {
    // On 3,000 rows PostgreSQL prefers a scan plus sort; planner settings (local to each
    // transaction) and a filter no b-tree serves make it walk the HNSW index, as it does on big tables.
    const filter = parseWhere(schema.Annotation, schema, { rawText: { endsWith: label } });
    let found = 0;
    let ms = 0;
    await withPg(async (pg) => {
      for (const [q, query] of queries().entries()) {
        await pg.query("BEGIN");
        await pg.query("SET LOCAL enable_seqscan = off");
        await pg.query("SET LOCAL enable_bitmapscan = off");
        if (q === 0) {
          const plan: SearchPlan = {
            kind: "hnsw-iterative",
            efSearch: 40,
            estimatedRows: null,
            reason: "",
            recall: { target: 0.99, expected: null, calibratedAt: null },
          };
          const sql = buildSimilarityQuery(schema, schema.Annotation, { vector: query, filter, take: 10 }, plan);
          const explained = await pg.query(`EXPLAIN ${sql.sql}`, [...sql.params]);
          assert.match(
            explained.rows.map((r) => r["QUERY PLAN"]).join("\n"),
            /Index Scan using "Annotation_embedding_hnsw_idx"/,
          );
        }
        const start = performance.now();
        const result = await runSimilaritySearch(
          rawClient(pg),
          { schema, estimates: new RowEstimates() },
          schema.Annotation,
          {
            vector: query,
            filter,
            take: 10,
            plan: "hnsw",
          },
        );
        ms += performance.now() - start;
        await pg.query("COMMIT");
        assert.equal(result.plan.kind, "hnsw-iterative");
        assert.equal(result.fellBack, false);
        assert.equal(result.rows.length, 10);
        const all = bruteForce(filtered, query);
        const truth = new Set(all.slice(0, 10).map((x) => x.id));
        found += result.rows.filter((r) => truth.has(r.id as string)).length;
        for (const r of result.rows) {
          assert.ok(Math.abs(r.distance - all.find((x) => x.id === r.id)!.distance) < 1e-5);
        }
      }
    });
    const recall = found / (10 * QUERIES);
    t.diagnostic(
      `HNSW + iterative scan: recall@10 ${recall.toFixed(3)}, ${(ms / QUERIES).toFixed(1)} ms/query (ef_search 40)`,
    );
    assert.ok(recall >= 0.95, `recall ${recall}`);
  });

  test('through the Prisma method with plan: "hnsw"', async (t) => {
    let found = 0;
    for (const query of queries()) {
      const truth = new Set(
        bruteForce(filtered, query)
          .slice(0, 10)
          .map((x) => x.id),
      );
      const { rows, plan } = await prisma.annotation.explainSearch({ query, where: { label }, take: 10, plan: "hnsw" });
      assert.equal(plan.kind, "hnsw-iterative");
      assert.equal(rows.length, 10);
      found += rows.filter((r) => truth.has(r.id)).length;
    }
    t.diagnostic(`plan "hnsw" through prisma.annotation: recall@10 ${(found / (10 * QUERIES)).toFixed(3)}`);
    assert.ok(found / (10 * QUERIES) >= 0.95);
  });

  test("auto plan: the filter's estimate is small, so an exact scan with recall 1", async (t) => {
    let ms = 0;
    for (const query of queries()) {
      const truth = bruteForce(filtered, query)
        .slice(0, 10)
        .map((x) => x.id);
      const start = performance.now();
      const { rows, plan } = await prisma.annotation.explainSearch({ query, where: { label }, take: 10 });
      ms += performance.now() - start;
      assert.equal(plan.kind, "exact");
      assert.deepEqual(
        rows.map((r) => r.id),
        truth,
      );
    }
    t.diagnostic(`auto (exact) recall@10 1.000, ${(ms / QUERIES).toFixed(1)} ms/query`);
  });

  test("for contrast: the bare index with the same filter comes back short", async (t) => {
    const query = queries()[0]!;
    const rows = await withPg(async (pg) => {
      await pg.query("BEGIN");
      // What other stores send, with a filter no b-tree serves (as metadata filters often are):
      // the planner walks the HNSW index with pgvector's defaults and filters what it returns.
      await pg.query("SET LOCAL enable_seqscan = off");
      await pg.query("SET LOCAL hnsw.iterative_scan = off");
      const plan = await pg.query(
        `EXPLAIN SELECT id FROM "Annotation" WHERE label || '' = $1 ORDER BY embedding <=> $2::vector LIMIT 10`,
        [label, vectorText(query)],
      );
      assert.match(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"), /Annotation_embedding_hnsw_idx/);
      const result = await pg.query(
        `SELECT id FROM "Annotation" WHERE label || '' = $1 ORDER BY embedding <=> $2::vector LIMIT 10`,
        [label, vectorText(query)],
      );
      await pg.query("ROLLBACK");
      return result.rows;
    });
    t.diagnostic(`bare HNSW returned ${rows.length} of 10 rows`);
    assert.ok(rows.length < 10);
  });
});
