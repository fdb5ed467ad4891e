/**
 * Plans that see the shards: on a distributed table the coordinator's EXPLAIN estimates a generic
 * 100,000 rows whatever the filter; the library asks the shards instead, so a 1% filter gets the
 * exact plan and the rows brute force finds.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { createPrisma, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { bruteForce, gaussian, nearby, randomUnit, rng } from "../helpers/vectors.ts";

const skip = onCitus() ? false : "needs a Citus cluster: scripts/citus-tests.ts";
const ROWS = 2000;
const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const label = uniqueLabel("est");
const random = rng(20261202);
const normal = gaussian(random);
const centres = Array.from({ length: 20 }, () => randomUnit(normal));
const rows = Array.from({ length: ROWS }, (_, i) => ({
  rawText: i % 100 === 0 ? `a 50% share, it's row ${i}` : `row ${i}`,
  label: i % 100 === 0 ? `${label}-1pct` : i % 10 === 1 ? `${label}-10pct` : `${label}-rest`,
  vector: nearby(centres[i % centres.length]!, normal, 0.8),
}));

/** Every row of the labels with its stored vector, read with plain pg. */
async function stored(labels: string[]): Promise<{ id: string; vector: number[] }[]> {
  return withPg(async (pg) => {
    const r = await pg.query(`SELECT id, embedding::text AS v FROM "Annotation" WHERE label = ANY($1)`, [labels]);
    return r.rows.map((row) => ({ id: row.id as string, vector: JSON.parse(row.v as string) as number[] }));
  });
}

before(async () => {
  if (skip) return;
  const doc = await prisma.document.create({ data: { content: "estimates", label } });
  for (let start = 0; start < ROWS; start += 500) {
    const data = rows.slice(start, start + 500).map((r) => ({
      documentId: doc.id,
      rawText: r.rawText,
      label: r.label,
      ...withEmbedding(r.vector),
    }));
    assert.deepEqual(await prisma.annotation.createMany({ data }), { count: data.length });
  }
  await withPg((pg) => pg.query(`ANALYZE "Annotation"`));
});

after(async () => {
  if (!skip) await base.document.deleteMany({ where: { label } });
  await base.$disconnect();
});

describe("row estimates from the shards", { skip }, () => {
  test("the coordinator alone estimates 100,000 rows for any filter", async () => {
    const plan = await withPg(async (pg) => {
      const r = await pg.query(`EXPLAIN (FORMAT JSON) SELECT 1 FROM "Annotation" WHERE label = $1`, [`${label}-1pct`]);
      return r.rows[0]["QUERY PLAN"][0].Plan["Plan Rows"] as number;
    });
    assert.equal(plan, 100_000);
  });

  test("a 1% filter: estimated near its 20 rows, exact plan, the rows brute force finds", async () => {
    const truthRows = await stored([`${label}-1pct`]);
    assert.equal(truthRows.length, ROWS / 100);
    for (let q = 0; q < 5; q++) {
      const query = nearby(centres[q]!, normal, 0.8);
      const { rows: found, plan } = await prisma.annotation.explainSearch({
        query,
        where: { label: `${label}-1pct` },
        take: 10,
      });
      assert.equal(plan.kind, "exact", plan.reason);
      assert.ok(plan.estimatedRows !== null && plan.estimatedRows >= 5 && plan.estimatedRows <= 80, plan.reason);
      const truth = bruteForce(truthRows, query).slice(0, 10);
      assert.deepEqual(
        found.map((r) => r.id),
        truth.map((t) => t.id),
      );
    }
  });

  test("unfiltered: the estimate counts the shards' rows, not Citus's generic 100,000", async () => {
    const { plan } = await prisma.annotation.explainSearch({ query: centres[0]!, take: 10 });
    assert.ok(
      plan.estimatedRows !== null && plan.estimatedRows >= ROWS * 0.8 && plan.estimatedRows < 50_000,
      plan.reason,
    );
  });

  test("unfiltered over several shards: each shard's graph walk is counted, so 2,000 rows are scanned exactly", async () => {
    const shards = await withPg(async (pg) => {
      const r = await pg.query(
        `SELECT count(*)::int AS n FROM pg_dist_shard WHERE logicalrelid = '"Annotation"'::regclass`,
      );
      return r.rows[0].n as number;
    });
    const { rows: found, plan } = await prisma.annotation.explainSearch({ query: centres[2]!, take: 10 });
    // One server walks its one graph above 40 x 32 = 1,280 rows; here every shard walks its own.
    assert.ok(shards >= 2 && plan.estimatedRows !== null && plan.estimatedRows > 1280, plan.reason);
    assert.ok(plan.estimatedRows <= shards * 1280, `${plan.estimatedRows} rows, ${shards} shards`);
    assert.equal(plan.kind, "exact", plan.reason);
    assert.match(plan.reason, new RegExp(`walking ${shards} shards' graphs`));
    const all = await withPg(async (pg) => {
      const r = await pg.query(`SELECT id, embedding::text AS v FROM "Annotation" WHERE embedding IS NOT NULL`);
      return r.rows.map((row) => ({ id: row.id as string, vector: JSON.parse(row.v as string) as number[] }));
    });
    assert.deepEqual(
      found.map((r) => r.id),
      bruteForce(all, centres[2]!)
        .slice(0, 10)
        .map((t) => t.id),
    );
  });

  test("values with %, quotes and lists reach the shards' EXPLAIN intact", async () => {
    const where = {
      OR: [{ rawText: { contains: "50% share, it's" } }, { label: { in: [`${label}-none`, `${label}-1pct`] } }],
    };
    const { rows: found, plan } = await prisma.annotation.explainSearch({ query: centres[1]!, where, take: 10 });
    assert.equal(plan.kind, "exact", plan.reason);
    assert.ok(plan.estimatedRows !== null && plan.estimatedRows < 1000, plan.reason);
    const truth = bruteForce(await stored([`${label}-1pct`]), centres[1]!).slice(0, 10);
    assert.deepEqual(
      found.map((r) => r.id),
      truth.map((t) => t.id),
    );
  });
});
