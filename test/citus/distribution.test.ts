/**
 * The distributed layout on a Citus cluster (scripts/citus-tests.ts sets it up): every shard has
 * the save-hook trigger, the indexes and the generated column, also after shards moved and
 * `citus_rebalance_start` moved them back; writes through the hook embed on every shard; the
 * shards search with the library's ef_search and iterative scan.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type pg from "pg";
import { distributeOnCitus, tablePlacement } from "../../src/db/citus-distribute.ts";
import { incompletePlacements, inspectPlacements } from "../../src/db/citus-shards.ts";
import { hybridStore } from "../../src/extension.ts";
import { createPrisma, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const skip = onCitus() ? false : "needs a Citus cluster: scripts/citus-tests.ts";
const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
after(() => base.$disconnect());

async function assertComplete(c: pg.Client): Promise<void> {
  for (const table of ["Document", "Annotation"]) {
    const { expected, placements } = await inspectPlacements(c, table);
    assert.deepEqual(expected, { triggers: 1, indexes: 7, hnswIndexes: 1, generatedColumns: 1 });
    assert.ok(placements.length > 1, `${table}: ${placements.length} placements`);
    assert.deepEqual(incompletePlacements(expected, placements), []);
  }
}

/** Writes through the save hook and reads back per shard: each row embedded, hashed, indexed text. */
async function assertWritesEmbedOnEveryShard(label: string): Promise<void> {
  const doc = await prisma.document.create({ data: { content: "shards", label } });
  const rows = Array.from({ length: 40 }, (_, i) => ({ documentId: doc.id, rawText: `sleepy cat number ${i}`, label }));
  assert.deepEqual(await prisma.annotation.createMany({ data: rows }), { count: 40 });
  const perShard = await withPg(async (c) => {
    const r = await c.query(
      `SELECT get_shard_id_for_distribution_column('"Annotation"', id) AS shard, count(*)::int AS n,
              count(*) FILTER (WHERE embedding IS NOT NULL AND "contentHash" = md5("rawText")
                               AND "searchVector" @@ to_tsquery('english', 'cat'))::int AS ok
         FROM "Annotation" WHERE label = $1 GROUP BY 1`,
      [label],
    );
    return r.rows as { shard: string; n: number; ok: number }[];
  });
  assert.ok(perShard.length > 1, "rows on more than one shard");
  for (const s of perShard) assert.equal(s.ok, s.n, `shard ${s.shard}`);
  const hits = await prisma.annotation.textSearch({ query: "sleepy cat", where: { label }, take: 50 });
  assert.equal(hits.length, 40);
}

describe("distributed tables on Citus", { skip }, () => {
  test("reference Document, Annotation distributed by id; distribute again changes nothing", async () => {
    await withPg(async (c) => {
      assert.deepEqual(await tablePlacement(c, "Document"), { kind: "reference" });
      assert.equal((await tablePlacement(c, "Annotation")).kind, "distributed");
      const again = await distributeOnCitus(c);
      assert.deepEqual(again.changed, []);
      await assertComplete(c);
    });
  });

  test("the shards search with the library's ef_search and iterative scan", async () => {
    const label = uniqueLabel("settings");
    const doc = await prisma.document.create({ data: { content: "settings", label } });
    await prisma.annotation.createMany({
      data: Array.from({ length: 8 }, (_, i) => ({ documentId: doc.id, rawText: `row ${i}`, label })),
    });
    const settings = await withPg(async (c) => {
      const r = await c.query(
        `SELECT DISTINCT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan
           FROM "Annotation" WHERE label = $1`,
        [label],
      );
      return r.rows;
    });
    assert.deepEqual(settings, [{ ef: "150", scan: "relaxed_order" }]);
  });

  test("kNN is pushed down to the shards, which walk their HNSW index; SET LOCAL reaches them", async () => {
    // A literal vector: for a statement with parameters Citus cannot show a shard's plan.
    const vector = `[${Array.from({ length: 384 }, (_, i) => Math.sin(i).toFixed(4)).join(",")}]`;
    const plan = await withPg(async (c) => {
      await c.query("BEGIN");
      await c.query("SET LOCAL enable_seqscan = off");
      const r = await c.query(
        `EXPLAIN SELECT id FROM "Annotation" ORDER BY embedding <=> '${vector}'::vector LIMIT 10`,
      );
      await c.query("ROLLBACK");
      return r.rows.map((row) => row["QUERY PLAN"] as string).join("\n");
    });
    assert.match(plan, /Task Count: \d+/);
    assert.match(plan, /Limit[\s\S]*Index Scan using "?Annotation_embedding_hnsw_idx_\d+/, plan);
  });

  test("writes embed on every shard, also after shards moved and citus_rebalance_start moved them back", async () => {
    await assertWritesEmbedOnEveryShard(uniqueLabel("before"));
    await withPg(async (c) => {
      const shards = await c.query<{ shardid: string; nodename: string; nodeport: number }>(
        `SELECT shardid, nodename, nodeport FROM citus_shards WHERE table_name = '"Annotation"'::regclass ORDER BY shardid`,
      );
      const nodes = [...new Set(shards.rows.map((r) => `${r.nodename}:${r.nodeport}`))];
      assert.ok(nodes.length >= 2, `shards on ${nodes.length} node(s)`);
      const [target] = shards.rows;
      // Pile every shard on one worker; block_writes copies without logical replication (wal_level).
      for (const s of shards.rows) {
        if (s.nodename === target!.nodename && s.nodeport === target!.nodeport) continue;
        await c.query("SELECT citus_move_shard_placement($1, $2, $3, $4, $5, shard_transfer_mode => 'block_writes')", [
          s.shardid,
          s.nodename,
          s.nodeport,
          target!.nodename,
          target!.nodeport,
        ]);
      }
      await c.query("SELECT citus_rebalance_start(shard_transfer_mode => 'block_writes')");
      await c.query("SELECT citus_rebalance_wait()");
      const after = await c.query(
        `SELECT count(DISTINCT (nodename, nodeport))::int AS n FROM citus_shards WHERE table_name = '"Annotation"'::regclass`,
      );
      assert.equal(after.rows[0].n, nodes.length, "rebalanced over the workers again");
      await assertComplete(c);
    });
    await assertWritesEmbedOnEveryShard(uniqueLabel("after"));
  });
});
