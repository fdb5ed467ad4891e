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
import { parseWhere } from "../../src/query/parse-where.ts";
import { buildSimilarityQuery } from "../../src/query/similarity-search.ts";
import { createPrisma, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { projectSchema } from "../helpers/query.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const skip = onCitus() ? false : "needs a Citus cluster: scripts/citus-tests.ts";
const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
after(() => base.$disconnect());

function cosineDistance(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

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

  test("without a shard count, 2 shards per active worker", async () => {
    await withPg(async (c) => {
      const suffix = uniqueLabel("t").replace("-", "_");
      const [doc, ann] = [`Doc_${suffix}`, `Ann_${suffix}`];
      await c.query(`CREATE TABLE "${doc}" (id text PRIMARY KEY)`);
      await c.query(`CREATE TABLE "${ann}" (id text PRIMARY KEY, "documentId" text REFERENCES "${doc}" (id))`);
      try {
        const result = await distributeOnCitus(c, { documentTable: doc, annotationTable: ann });
        const workers = await c.query(
          "SELECT count(*)::int AS n FROM pg_dist_node WHERE groupid > 0 AND noderole = 'primary' AND isactive",
        );
        assert.deepEqual(result.annotation, { kind: "distributed", column: "id", shards: 2 * workers.rows[0].n });
      } finally {
        await c.query(`DROP TABLE "${ann}", "${doc}"`);
      }
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
    // What a per-query setting needs on Citus: SET LOCAL in a transaction reaches the shards
    // (citus.propagate_set_commands = local), set_config() in the statement does not.
    const perQuery = await withPg(async (c) => {
      const onShards = `SELECT DISTINCT current_setting('hnsw.ef_search') AS ef FROM "Annotation" WHERE label = $1`;
      await c.query("BEGIN");
      await c.query("SET LOCAL hnsw.ef_search = 33");
      const set = await c.query(onShards, [label]);
      await c.query("ROLLBACK");
      await c.query("BEGIN");
      await c.query("SELECT set_config('hnsw.ef_search', '34', true)");
      const configured = await c.query(onShards, [label]);
      await c.query("ROLLBACK");
      return { set: set.rows, configured: configured.rows };
    });
    assert.deepEqual(perQuery, { set: [{ ef: "33" }], configured: [{ ef: "150" }] });
  });

  test("an exact search sends each shard's top rows to the coordinator, not every row passing the filter", async () => {
    const label = uniqueLabel("exact");
    const doc = await prisma.document.create({ data: { content: "exact", label } });
    const texts = Array.from({ length: 120 }, (_, i) => `exact row ${i}`);
    await prisma.annotation.createMany({ data: texts.map((rawText) => ({ documentId: doc.id, rawText, label })) });
    const take = 5;
    const skip = 2;
    const vector = Array.from({ length: 384 }, (_, i) => Math.cos(i));
    const { plan, rows } = await prisma.annotation.explainSearch({
      query: vector,
      where: { label },
      take,
      skip,
      plan: "exact",
    });
    assert.equal(plan.kind, "exact");
    const schema = projectSchema();
    const q = buildSimilarityQuery(
      schema,
      schema.Annotation,
      { vector, filter: parseWhere(schema.Annotation, schema, { label }), take, skip },
      {
        kind: "exact",
        efSearch: null,
        estimatedRows: 120,
        reason: "",
        recall: { target: 0.99, expected: null, calibratedAt: null },
      },
    );
    const { shards, received, ids } = await withPg(async (c) => {
      const explained = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`, [...q.params]);
      const scans: { "Node Type": string; "Actual Rows": number; Plans?: unknown[] }[] = [];
      const walk = (node: { "Node Type": string; "Actual Rows": number; Plans?: unknown[] }): void => {
        if (node["Node Type"] === "Custom Scan") scans.push(node);
        for (const child of node.Plans ?? []) walk(child as typeof node);
      };
      walk(explained.rows[0]["QUERY PLAN"][0].Plan);
      const n = await c.query(
        `SELECT count(*)::int AS n FROM citus_shards WHERE table_name = '"Annotation"'::regclass`,
      );
      const all = await c.query(q.sql, [...q.params]);
      return {
        shards: n.rows[0].n as number,
        received: scans.map((s) => s["Actual Rows"]),
        ids: all.rows.map((r) => r.id),
      };
    });
    // One distributed scan, no intermediate result of the 120 rows: at most skip + take per shard.
    assert.equal(received.length, 1, JSON.stringify(received));
    assert.ok(received[0]! <= shards * (skip + take), `${received[0]} rows from ${shards} shards`);
    // The same rows as the brute-force order by distance then id.
    // Brute force in JavaScript: cosine distance to every row with the label, then id.
    const brute = await withPg(async (c) => {
      const r = await c.query(`SELECT id, embedding::text AS e FROM "Annotation" WHERE label = $1`, [label]);
      return r.rows
        .map((row) => ({ id: row.id as string, d: cosineDistance(vector, JSON.parse(row.e as string) as number[]) }))
        .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
        .map((row) => row.id);
    });
    assert.deepEqual(ids, brute.slice(skip, skip + take));
    assert.deepEqual(
      rows.map((r) => r.id),
      ids,
    );
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
