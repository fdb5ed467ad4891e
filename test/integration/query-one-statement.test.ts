import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { FORCE_INDEX_SETTINGS } from "../../src/query/run-search.ts";
import { UNFORCED_MIN_ROWS } from "../../src/query/similarity-search.ts";
import { databaseUrl, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { bulkInsertAnnotations, gaussian, randomUnit, rng, vectorText } from "../helpers/vectors.ts";

/**
 * A planned search is one statement: its pgvector settings travel inside it (the query
 * vector's order-by subquery, src/query/run-search.ts), with no `BEGIN; set_config; query;
 * COMMIT` batch. This proves that pgvector applies them to that statement, with results
 * identical to the same settings made by `SET LOCAL` in a transaction, and different from other
 * settings; and that nothing reaches the next query on the same pooled connection.
 *
 * 2,000 isotropic random vectors (HNSW's worst case, so ef_search changes the answer); 5% of
 * them carry a marker in `rawText`, a filter no b-tree serves. The planner is steered onto the
 * HNSW index by session settings on the test's single connection (on 2,000 rows it would
 * rather sort), which the test also uses to show the search leaves session values alone.
 */
const ROWS = 2000;
const QUERIES = 24;
const marker = uniqueLabel("onestmt");
const random = rng(20261202);
const normal = gaussian(random);
const queries = Array.from({ length: QUERIES }, () => randomUnit(normal));
// One connection that stays open, so "the next query on the same connection" is well defined.
const base = new PrismaClient({
  adapter: new PrismaPg({ connectionString: databaseUrl(), max: 1, idleTimeoutMillis: 600_000 }),
});
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const SESSION = [
  "SET enable_seqscan = off",
  "SET enable_bitmapscan = off",
  "SET hnsw.ef_search = 77",
  "SET hnsw.iterative_scan = off",
];
let documentId = "";

before(async () => {
  const doc = await base.document.create({ data: { content: "one-statement corpus", label: marker } });
  documentId = doc.id;
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    rawText: i % 20 === 0 ? `row ${i} ${marker}` : `row ${i}`,
    label: marker,
    vector: randomUnit(normal).map((x) => Number(x.toFixed(6))),
  }));
  // Build the graph once after the insert (~10x faster than row by row on PGlite), the same
  // index the migrations make, in one transaction so a failure leaves the schema as it was.
  await withPg(async (pg) => {
    // Earlier files' deleted rows would otherwise go into the new graph, and autovacuum's repair
    // of it between the library's search and the oracle's could change what a walk finds.
    await pg.query(`VACUUM "Annotation"`);
    await pg.query("BEGIN");
    await pg.query(`DROP INDEX "Annotation_embedding_hnsw_idx"`);
    await bulkInsertAnnotations(
      { $executeRawUnsafe: async (sql, ...values) => (await pg.query(sql, values)).rowCount ?? 0 },
      documentId,
      rows,
    );
    await pg.query(
      `CREATE INDEX "Annotation_embedding_hnsw_idx" ON "Annotation" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 16, ef_construction = 128)`,
    );
    await pg.query("COMMIT");
    await pg.query(`ANALYZE "Annotation"`);
  });
  for (const s of SESSION) await base.$executeRawUnsafe(s);
});

after(async () => {
  await base.$executeRawUnsafe("RESET ALL");
  await base.document.deleteMany({ where: { label: marker } });
  await base.$disconnect();
});

const session = async () =>
  (
    await base.$queryRawUnsafe<{ ef: string; iterative: string; pid: number }[]>(
      `SELECT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS iterative, pg_backend_pid() AS pid`,
    )
  )[0]!;

/** Whether the library forces the index for an unfiltered top-10 HNSW search with this plan. */
const forcesIndex = (plan: { estimatedRows: number | null }) => (plan.estimatedRows ?? 0) < UNFORCED_MIN_ROWS;

/**
 * The same search written by hand, its settings made by SET LOCAL in a transaction; `forced`
 * adds the planner settings the library sets when it forces the index (FORCE_INDEX_SETTINGS,
 * below UNFORCED_MIN_ROWS). On one server the session's `enable_seqscan = off` already keeps both on
 * the index; on Citus a session SET does not reach the shards, whose planner may otherwise scan
 * a small shard exactly where the library walks its index.
 */
async function inTransaction(
  query: number[],
  ef: number,
  iterative: "off" | "relaxed_order",
  filtered: boolean,
  forced = false,
) {
  const settings: (readonly [string, string])[] = [
    ["hnsw.ef_search", String(Number(ef))],
    ["hnsw.iterative_scan", iterative === "off" ? "off" : "relaxed_order"],
    ...(forced ? FORCE_INDEX_SETTINGS : []),
  ];
  // On Citus only SET LOCAL reaches the shards (set_config() stays on the coordinator).
  const rows = await base.$transaction([
    ...settings.map(([name, value]) =>
      onCitus()
        ? base.$executeRawUnsafe(`SET LOCAL ${name} = ${value}`)
        : base.$executeRawUnsafe(`SELECT set_config($1, $2, true)`, name, value),
    ),
    base.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id FROM (SELECT id, embedding <=> $1::vector AS d FROM "Annotation" WHERE embedding IS NOT NULL` +
        `${filtered ? ` AND "rawText" LIKE '%' || $2` : ""} ORDER BY embedding <=> $1::vector LIMIT 10) c ORDER BY d, id`,
      vectorText(query),
      ...(filtered ? [marker] : []),
    ),
  ]);
  return (rows.at(-1) as { id: string }[]).map((r) => r.id);
}

describe("pgvector settings inside the search statement (one round trip)", () => {
  test("the plan's ef_search applies to that statement: same rows as SET LOCAL in a transaction, not the session's", async () => {
    const before = await session();
    let differs = 0;
    for (const query of queries) {
      const low = await prisma.annotation.explainSearch({ query, take: 10, plan: "hnsw", efSearch: 10 });
      assert.equal(low.plan.kind, "hnsw");
      const high = await prisma.annotation.similaritySearch({ query, take: 10, plan: "hnsw", efSearch: 400 });
      const lowIds = low.rows.map((r) => r.id);
      const highIds = high.map((r) => r.id);
      // Both HNSW plans scan iteratively (relaxed order): so does the oracle. A plain scan would
      // return fewer than 10 rows wherever dead tuples (other files' deletes) sit near the query.
      const forced = forcesIndex(low.plan);
      assert.deepEqual(lowIds, await inTransaction(query, 10, "relaxed_order", false, forced));
      assert.deepEqual(highIds, await inTransaction(query, 400, "relaxed_order", false, forced));
      if (lowIds.join() !== highIds.join()) differs++;
    }
    // If the settings were ignored, both would run at the session's 77 and agree everywhere.
    assert.ok(differs > 0, "ef_search 10 and 400 gave the same rows for every query");
    const now = await session();
    assert.equal(now.pid, before.pid, "the same connection throughout");
    assert.deepEqual(now, { ...before }, "no setting leaked onto the connection");
    assert.equal(now.ef, "77");
  });

  test("the plan's iterative scan applies to that statement: 10 rows where the bare index finds fewer", async () => {
    const before = await session();
    for (const query of queries) {
      // plan "hnsw" under a filter runs with hnsw.iterative_scan = relaxed_order at ef_search 10.
      const { rows, plan } = await prisma.annotation.explainSearch({
        query,
        where: { rawText: { endsWith: marker } },
        take: 10,
        plan: "hnsw",
        efSearch: 10,
      });
      assert.equal(plan.kind, "hnsw-iterative");
      assert.equal(plan.fellBack, false, "the iterative scan found 10 rows itself");
      assert.deepEqual(
        rows.map((r) => r.id),
        // An iterative plan always forces the index (only an unfiltered "hnsw" may not).
        await inTransaction(query, 10, "relaxed_order", true, true),
      );
      const bare = await inTransaction(query, 10, "off", true);
      assert.ok(bare.length < 10, `the bare index returned ${bare.length} rows`);
    }
    assert.deepEqual(await session(), before, "iterative_scan and ef_search are back to the session's values");
  });

  test("inside a caller's interactive transaction the settings last until it ends, then are gone", async () => {
    const query = queries[0]!;
    const { plan } = await prisma.annotation.explainSearch({ query, take: 10, plan: "hnsw", efSearch: 10 });
    const inside = await prisma.$transaction(async (tx) => {
      const ids = await tx.annotation.similaritySearch({ query, take: 10, plan: "hnsw", efSearch: 10 });
      const [s] = await tx.$queryRawUnsafe<{ ef: string }[]>(`SELECT current_setting('hnsw.ef_search') AS ef`);
      return { ids: ids.map((r) => r.id), ef: s!.ef };
    });
    assert.equal(inside.ef, "10", "SET LOCAL semantics within the caller's transaction");
    const forced = forcesIndex(plan);
    assert.deepEqual(inside.ids, await inTransaction(query, 10, "relaxed_order", false, forced));
    assert.equal((await session()).ef, "77");
  });
});
