/**
 * Per-query pgvector settings on Citus: the shards run the HNSW scans, and Citus passes only
 * `SET LOCAL` on to them (set_config() stays on the coordinator). A search's `efSearch` must
 * give the rows the same statement gives under `SET LOCAL hnsw.ef_search` by hand, and leave no
 * setting behind, on the pooled connections or in a caller's transaction.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { InvalidArgumentError } from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { buildHybridQuery } from "../../src/query/hybrid-search.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import { buildSimilarityQuery } from "../../src/query/similarity-search.ts";
import type { CompiledQuery } from "../../src/sql/compiled-query.ts";
import { createPrisma, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { projectSchema } from "../helpers/query.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { gaussian, randomUnit, rng } from "../helpers/vectors.ts";

const skip = onCitus() ? false : "needs a Citus cluster: scripts/citus-tests.ts";
const ROWS = 1200;
const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const label = uniqueLabel("ef");
const normal = gaussian(rng(20261221));
// Isotropic vectors: the hardest case for HNSW, so ef_search 10 and 400 find different rows.
const vectors = Array.from({ length: ROWS }, () => randomUnit(normal));
const queries = Array.from({ length: 4 }, () => randomUnit(normal));

before(async () => {
  if (skip) return;
  const doc = await prisma.document.create({ data: { content: "settings", label } });
  for (let start = 0; start < ROWS; start += 400) {
    const data = vectors
      .slice(start, start + 400)
      .map((v, i) => ({ documentId: doc.id, rawText: `row ${start + i}`, label, ...withEmbedding(v) }));
    await prisma.annotation.createMany({ data });
  }
  await withPg((c) => c.query(`ANALYZE "Annotation"`));
});

after(async () => {
  if (!skip) await base.document.deleteMany({ where: { label } });
  await base.$disconnect();
});

/** The library's statement for `plan`, run by hand under SET LOCALs in a transaction. */
async function byHand(q: CompiledQuery, efSearch: number | null, forceIndex: boolean): Promise<string[]> {
  return withPg(async (c) => {
    await c.query("BEGIN");
    try {
      await c.query(`SET LOCAL hnsw.ef_search = ${Number(efSearch)}`);
      await c.query("SET LOCAL hnsw.iterative_scan = relaxed_order");
      if (forceIndex) {
        await c.query("SET LOCAL enable_sort = off");
        await c.query("SET LOCAL enable_seqscan = off");
        await c.query("SET LOCAL jit = off");
      }
      const r = await c.query(q.sql, [...q.params]);
      return r.rows.map((row) => row.id as string);
    } finally {
      await c.query("ROLLBACK");
    }
  });
}

const schema = projectSchema();
const filter = parseWhere(schema.Annotation, schema, { label });

/** The settings the shards of `label`'s rows and the coordinator see on a connection of `client`. */
async function settingsSeen(client: { $queryRawUnsafe: typeof base.$queryRawUnsafe }): Promise<unknown> {
  const shards = await client.$queryRawUnsafe<{ ef: string; scan: string; sort: string }[]>(
    `SELECT DISTINCT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan,
            current_setting('enable_sort') AS sort FROM "Annotation" WHERE label = $1`,
    label,
  );
  const [coordinator] = await client.$queryRawUnsafe<{ sort: string; seqscan: string }[]>(
    "SELECT current_setting('enable_sort') AS sort, current_setting('enable_seqscan') AS seqscan",
  );
  return { shards, coordinator };
}

const recall = { target: 0.99, expected: null, calibratedAt: null };

const DEFAULTS = {
  // The database defaults `distribute` sets (docs/scaling.md).
  shards: [{ ef: "150", scan: "relaxed_order", sort: "on" }],
  coordinator: { sort: "on", seqscan: "on" },
};

describe("per-query settings on the shards", { skip }, () => {
  test("a search's efSearch gives the rows of the same statement under SET LOCAL by hand", async () => {
    let differ = 0;
    for (const vector of queries) {
      const found: string[][] = [];
      for (const efSearch of [10, 400]) {
        const { plan, rows } = await prisma.annotation.explainSearch({
          query: vector,
          where: { label },
          take: 10,
          plan: "hnsw",
          efSearch,
        });
        assert.notEqual(plan.kind, "exact");
        assert.equal(plan.fellBack, false);
        assert.equal(plan.efSearch, efSearch);
        const ids = rows.map((r) => r.id);
        const q = buildSimilarityQuery(schema, schema.Annotation, { vector, filter, take: 10 }, plan, "shards");
        assert.deepEqual(ids, await byHand(q, plan.efSearch, true), `efSearch ${efSearch}`);
        found.push(ids);
      }
      if (found[0]!.join() !== found[1]!.join()) differ++;
    }
    // Otherwise the comparison above could not tell whether the setting reached the shards.
    assert.ok(differ > 0, "ef_search 10 and 400 found the same rows for every query");
    for (let i = 0; i < 4; i++) assert.deepEqual(await settingsSeen(prisma), DEFAULTS);
  });

  test("inside a caller's transaction: ef_search lasts until it ends (as on one server), planner settings are put back", async () => {
    const vector = queries[0]!;
    const outside = await prisma.annotation.similaritySearch({
      query: vector,
      where: { label },
      take: 10,
      efSearch: 10,
      plan: "hnsw",
    });
    const { inside, seen } = await prisma.$transaction(async (tx) => {
      const rows = await tx.annotation.similaritySearch({
        query: vector,
        where: { label },
        take: 10,
        efSearch: 10,
        plan: "hnsw",
      });
      return { inside: rows, seen: await settingsSeen(tx) };
    });
    assert.deepEqual(
      inside.map((r) => r.id),
      outside.map((r) => r.id),
    );
    assert.deepEqual(seen, { ...DEFAULTS, shards: [{ ...DEFAULTS.shards[0], ef: "10" }] });
    assert.deepEqual(await settingsSeen(prisma), DEFAULTS);
  });

  // Not forced onto the index (as on one server), the shards may sort their few filtered rows
  // here instead, so ef_search need not change this list: the oracle is the same statement.
  test("hybridSearch gives the rows of its statement under SET LOCAL by hand", async () => {
    for (const vector of queries) {
      for (const efSearch of [10, 400]) {
        const rows = await prisma.annotation.hybridSearch({
          query: "row",
          vector,
          where: { label },
          take: 20, // every fused row: 10 candidates from each list
          candidates: 10,
          plan: "hnsw",
          efSearch,
        });
        const plan = { kind: "hnsw-iterative", efSearch, estimatedRows: null, reason: "", recall } as const;
        const request = { text: "row", vector, filter, take: 20, candidates: 10, plan: "hnsw", efSearch } as const;
        const q = buildHybridQuery(schema, schema.Annotation, request, plan, "shards");
        assert.deepEqual(
          rows.map((r) => r.id),
          await byHand(q, efSearch, false),
          `efSearch ${efSearch}`,
        );
      }
    }
    assert.deepEqual(await settingsSeen(prisma), DEFAULTS);
  });

  test("a cursor on an HNSW plan is an INVALID_ARGUMENT on Citus, before any row is read", async () => {
    const [first] = await prisma.annotation.similaritySearch({ query: queries[0]!, where: { label }, take: 1 });
    await assert.rejects(
      prisma.annotation.similaritySearch({
        query: queries[0]!,
        where: { label },
        take: 5,
        plan: "hnsw",
        cursor: { id: first!.id },
      }),
      (err: unknown) =>
        err instanceof InvalidArgumentError && err.code === "INVALID_ARGUMENT" && /Citus/.test(err.message),
    );
    const exact = await prisma.annotation.similaritySearch({
      query: queries[0]!,
      where: { label },
      take: 5,
      plan: "exact",
      cursor: { id: first!.id },
    });
    assert.equal(exact.length, 5);
  });
});
