import assert from "node:assert/strict";
import { after, test } from "node:test";
import { exactNeighbours } from "../../src/query/recall-probe.ts";
import { modelOf } from "../../src/schema/model-meta.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { projectSchema } from "../helpers/query.ts";
import { bulkInsertAnnotations, gaussian, randomUnit, rng, vectorText } from "../helpers/vectors.ts";

/**
 * Recall calibration's exact answers (one scan bounded by each query's distance limit) against
 * PostgreSQL's own exact scan per query, with and without the probes' hash filter: tight bounds
 * (the true 10th distance itself, printed and read back), loose ones, and a query without a
 * bound, over a table whose rows are random unit vectors.
 */
const base = createPrisma();
const label = uniqueLabel("exact-neighbours");
const K = 10;
const SHARE = 100; // of 1024 hash buckets

after(async () => {
  await base.document.deleteMany({ where: { label } });
  await base.$disconnect();
});

interface Neighbour {
  id: string;
  distance: number;
}

/** PostgreSQL's exact top 10 (index scans off), optionally under the hash filter. */
async function oracle(query: string, filtered: boolean): Promise<Neighbour[]> {
  return withPg(async (pg) => {
    await pg.query("BEGIN");
    await pg.query("SET LOCAL enable_indexscan = off");
    const { rows } = await pg.query<{ id: string; distance: number }>(
      `SELECT id, embedding <=> $1::vector AS distance FROM "Annotation" WHERE embedding IS NOT NULL` +
        `${filtered ? ` AND (hashtext(id::text) & 1023) < ${SHARE}` : ""} ORDER BY distance, id LIMIT ${K}`,
      [query],
    );
    await pg.query("COMMIT");
    return rows;
  });
}

test("one bounded scan finds every query's exact neighbours, plain and under the hash filter", async () => {
  const normal = gaussian(rng(41));
  const doc = await base.document.create({ data: { content: "exact neighbours", label } });
  await bulkInsertAnnotations(
    base,
    doc.id,
    Array.from({ length: 1500 }, (_, i) => ({ rawText: `row ${i}`, label, vector: randomUnit(normal) })),
  );
  const queries = Array.from({ length: 6 }, () => vectorText(randomUnit(normal)));
  const truth = await Promise.all(
    queries.map(async (q) => ({ plain: await oracle(q, false), filtered: await oracle(q, true) })),
  );
  const tight = truth.map((t) => Math.max(t.plain[K - 1]!.distance, t.filtered[K - 1]!.distance));
  const model = modelOf(projectSchema(), "Annotation");
  // Tight bounds alone first (a loose one returns nearly every row, for every query), then loose
  // ones and a query without a bound (its own exact scans).
  const calls = [
    [0, 1, 2].map((q) => ({ q, bound: tight[q] })),
    [
      { q: 3, bound: tight[3]! * 1.05 },
      { q: 4, bound: undefined },
      { q: 5, bound: tight[5]! * 2 },
    ],
  ];
  for (const call of calls) {
    const got = await exactNeighbours(
      base,
      model,
      call.map(({ q }) => queries[q]!),
      call.map(({ bound }) => bound),
      SHARE,
    );
    for (const [i, { q, bound }] of call.entries()) {
      assert.deepEqual(
        new Set(got.unfiltered[i]),
        new Set(truth[q]!.plain.map((r) => r.id)),
        `query ${q}: bound ${bound}`,
      );
      assert.deepEqual(
        new Set(got.filtered[i]),
        new Set(truth[q]!.filtered.map((r) => r.id)),
        `query ${q}: bound ${bound}`,
      );
      assert.equal(got.unfiltered[i]!.length, K);
      assert.equal(got.filtered[i]!.length, K);
    }
  }
});
