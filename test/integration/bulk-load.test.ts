/**
 * Bulk loads at index-build speed (issue #22): a large load drops the HNSW indexes and builds
 * each once at the end from its own definition. Checked here: the definitions come back exactly
 * and valid, searches during the load are exact (brute force), rows other writers add during the
 * load are in the rebuilt graph, a load that throws still gets its index back, small loads and
 * `bulkLoad: false` never touch the index, and another process's missing index makes plans exact.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { TextNode } from "llamaindex";
import { HybridStoreError, InvalidArgumentError } from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { ingestFiles } from "../../src/ingest/ingest-files.ts";
import { PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { tempCorpora } from "../helpers/cli.ts";
import { databaseUrl, hnswIndexes, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { bruteForce, gaussian, nearby, randomUnit, rng } from "../helpers/vectors.ts";

const base = new PrismaClient({
  adapter: new PrismaPg({ connectionString: databaseUrl(), max: 4, idleTimeoutMillis: 1000 }),
  log: [{ emit: "event", level: "query" }],
});
after(() => base.$disconnect());
const statements: string[] = [];
base.$on("query", (e) => statements.push(e.query));
const drops = () => statements.filter((s) => /^DROP INDEX/.test(s));

// share 0: the shared test database holds other files' rows; only minRows decides here.
const store = base.$extends(hybridStore({ embedder: tinyEmbedder(), bulkLoad: { minRows: 100, share: 0 } }));
const keeper = base.$extends(hybridStore({ embedder: tinyEmbedder(), bulkLoad: false }));

const random = rng(20261202);
const normal = gaussian(random);
const centres = Array.from({ length: 8 }, () => randomUnit(normal));
const round = (v: number[]) => v.map((x) => Number(x.toFixed(5)));
const vectors = (n: number) => Array.from({ length: n }, (_, i) => round(nearby(centres[i % 8]!, normal, 0.3)));

async function rowsOf(documentId: string, label: string, vs: number[][], from = 0) {
  return vs.map((v, i) => ({ documentId, rawText: `row ${from + i}`, label, ...withEmbedding(v) }));
}

describe("bulk loads drop the HNSW index and build it once", { skip: onCitus() && "Citus keeps the index" }, () => {
  test("$bulkLoad: exact searches during the load, the same index after, other writers' rows in it", async () => {
    const before = { a: await hnswIndexes("Annotation"), d: await hnswIndexes("Document") };
    assert.equal(before.a.length, 1);
    const label = uniqueLabel("bulk");
    const { id: documentId } = await base.document.create({ data: { content: "parent", label } });
    const mine = vectors(300);
    const theirs = vectors(5);
    const loaded: { id: string; vector: number[] }[] = [];
    // Rows already there: searched while each batch is being written, on another connection.
    const fixedLabel = uniqueLabel("fixed");
    const fixedVectors = vectors(40);
    await keeper.annotation.createMany({ data: await rowsOf(documentId, fixedLabel, fixedVectors) });
    const fixed = (await base.annotation.findMany({ where: { label: fixedLabel } })).map((r) => ({
      id: r.id,
      vector: fixedVectors[Number(r.rawText.slice(4))]!,
    }));
    await store.$bulkLoad(async () => {
      for (let start = 0; start < mine.length; start += 100) {
        const chunk = mine.slice(start, start + 100);
        const probe = round(nearby(centres[(start + 3) % 8]!, normal, 0.3));
        const [, during] = await Promise.all([
          store.annotation.createMany({ data: await rowsOf(documentId, label, chunk, start) }),
          store.annotation.similaritySearch({ query: probe, where: { label: fixedLabel }, take: 10 }),
        ]);
        assert.deepEqual(
          during.map((r) => r.id),
          bruteForce(fixed, probe)
            .slice(0, 10)
            .map((s) => s.id),
        );
        const ids = await base.annotation.findMany({ where: { label }, select: { id: true, rawText: true } });
        loaded.length = 0;
        for (const r of ids) loaded.push({ id: r.id, vector: mine[Number(r.rawText.slice(4))]! });
        assert.deepEqual(await hnswIndexes("Annotation"), [], "the index is gone while the load runs");
        const query = round(nearby(centres[start % 8]!, normal, 0.3));
        const { rows, plan } = await store.annotation.explainSearch({ query, where: { label }, take: 10 });
        assert.equal(plan.kind, "exact");
        assert.match(plan.reason, /HNSW index/);
        assert.deepEqual(
          rows.map((r) => r.id),
          bruteForce(loaded, query)
            .slice(0, 10)
            .map((s) => s.id),
        );
        const unfiltered = await store.annotation.explainSearch({ query, take: 5 });
        assert.equal(unfiltered.plan.kind, "exact");
      }
      // Another writer (another store, or any client) during the load.
      await keeper.annotation.createMany({
        data: theirs.map((v, i) => ({ documentId, rawText: `theirs ${i}`, label, ...withEmbedding(v) })),
      });
    });
    const afterLoad = { a: await hnswIndexes("Annotation"), d: await hnswIndexes("Document") };
    assert.deepEqual(afterLoad, before, "the same definitions, usable");
    // The rebuilt graph holds the other writer's rows: forced HNSW finds each one's own vector first.
    for (const [i, v] of theirs.entries()) {
      const [hit] = await store.annotation.similaritySearch({ query: v, plan: "hnsw", take: 1 });
      assert.equal(hit?.rawText, `theirs ${i}`);
    }
    const { plan } = await store.annotation.explainSearch({ query: theirs[0]!, plan: "hnsw", take: 1 });
    assert.notEqual(plan.kind, "exact");
  });

  test("createMany: a large batch drops and rebuilds, a small one keeps the index", async () => {
    const label = uniqueLabel("auto");
    const { id: documentId } = await base.document.create({ data: { content: "parent", label } });
    const before = await hnswIndexes("Annotation");
    statements.length = 0;
    const small = await store.annotation.createMany({ data: await rowsOf(documentId, label, vectors(99)) });
    assert.equal(small.count, 99);
    assert.deepEqual(drops(), []);
    const large = await store.annotation.createMany({ data: await rowsOf(documentId, label, vectors(100), 99) });
    assert.equal(large.count, 100);
    assert.equal(drops().length, 1);
    assert.ok(statements.some((s) => /^CREATE INDEX (CONCURRENTLY )?IF NOT EXISTS .*USING hnsw/.test(s)));
    assert.deepEqual(await hnswIndexes("Annotation"), before);
    assert.equal(await base.annotation.count({ where: { label } }), 199);
  });

  test("a load that throws gets its index back; rows committed before stay, a failed batch writes none", async () => {
    const label = uniqueLabel("fail");
    const { id: documentId } = await base.document.create({ data: { content: "parent", label } });
    const before = await hnswIndexes("Annotation");
    await assert.rejects(
      store.$bulkLoad(async () => {
        await store.annotation.createMany({ data: await rowsOf(documentId, label, vectors(50)) });
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual(await hnswIndexes("Annotation"), before);
    assert.equal(await base.annotation.count({ where: { label } }), 50);

    // A bad row (a duplicate id) in a batch large enough to drop the index: Prisma's error, no row of it.
    const rows = (await rowsOf(documentId, label, vectors(150))).map((r, i) => ({ ...r, id: `${label}-${i % 149}` }));
    statements.length = 0;
    await assert.rejects(store.annotation.createMany({ data: rows }), (e: Error) =>
      /Unique constraint/i.test(e.message),
    );
    assert.equal(drops().length, 1, "it was large enough to drop the index");
    assert.deepEqual(await hnswIndexes("Annotation"), before);
    assert.equal(await base.annotation.count({ where: { label } }), 50);
  });

  test("an embedder that throws fails before any DDL; bulkLoad: false never drops", async () => {
    const label = uniqueLabel("embed");
    const { id: documentId } = await base.document.create({ data: { content: "parent", label } });
    const failing = base.$extends(
      hybridStore({
        embedder: {
          modelId: "failing",
          dimensions: 384,
          embed: () => Promise.reject(new Error("model crashed")),
        },
        bulkLoad: { minRows: 1, share: 0 },
      }),
    );
    statements.length = 0;
    const texts = Array.from({ length: 120 }, (_, i) => ({ documentId, rawText: `text ${i}`, label }));
    await assert.rejects(failing.annotation.createMany({ data: texts }), HybridStoreError);
    assert.deepEqual(drops(), []);
    assert.equal(await base.annotation.count({ where: { label } }), 0);

    const data = await rowsOf(documentId, label, vectors(150));
    assert.equal((await keeper.$bulkLoad(() => keeper.annotation.createMany({ data }))).count, 150);
    assert.deepEqual(drops(), []);
  });

  test("a store that finds no usable index (another process's load) plans exact scans", async () => {
    const [index] = await hnswIndexes("Annotation");
    assert.ok(index);
    const name = /^CREATE INDEX (\S+)/.exec(index.def)![1]!;
    await withPg((pg) => pg.query(`DROP INDEX ${name}`));
    try {
      const fresh = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
      const { plan } = await fresh.annotation.explainSearch({ query: vectors(1)[0]!, take: 3 });
      assert.equal(plan.kind, "exact");
      // $bulkLoad with nothing to drop just runs the load (the other process rebuilds).
      assert.equal(await fresh.$bulkLoad(async () => 7), 7);
    } finally {
      await withPg((pg) => pg.query(index.def));
    }
    assert.deepEqual(await hnswIndexes("Annotation"), [index]);
  });
});

describe("$reembed, ingest and LlamaIndex add load the same way", {
  skip: onCitus() && "Citus keeps the index",
}, () => {
  test("$reembed of many rows builds the index once, with every re-embedded row in it", async () => {
    const label = uniqueLabel("reembed");
    const { id: documentId } = await base.document.create({ data: { content: "parent", label } });
    const texts = Array.from({ length: 120 }, (_, i) => `reembed ${label} number ${i} ${"word ".repeat(i % 7)}`);
    // Rows another client wrote without vectors.
    await withPg((pg) =>
      pg.query(
        `INSERT INTO "Annotation" (id, "documentId", "rawText", label, "updatedAt")
         SELECT gen_random_uuid()::text, $1, t, $2, now() FROM unnest($3::text[]) AS t`,
        [documentId, label, texts],
      ),
    );
    const before = await hnswIndexes("Annotation");
    statements.length = 0;
    const loader = base.$extends(hybridStore({ embedder: tinyEmbedder(), bulkLoad: { minRows: 100, share: 0 } }));
    const result = await loader.$reembed({ models: ["Annotation"] });
    assert.ok((result.embedded.Annotation ?? 0) >= 120);
    assert.equal(drops().length, 1);
    assert.deepEqual(await hnswIndexes("Annotation"), before);
    const missing = await withPg((pg) =>
      pg.query(`SELECT count(*)::int AS n FROM "Annotation" WHERE label = $1 AND embedding IS NULL`, [label]),
    );
    assert.equal(missing.rows[0].n, 0);
  });

  test("ingest of many chunks and LlamaIndex add of many nodes drop and rebuild the Annotation index", async () => {
    const label = uniqueLabel("ingest");
    const corpora = tempCorpora("bulk-ingest-");
    const files = Object.fromEntries(
      Array.from({ length: 6 }, (_, f) => [
        `f${f}.txt`,
        Array.from({ length: 30 }, (_, k) => `Paragraph ${k} of file ${f} for ${label}.`).join("\n\n"),
      ]),
    );
    const dir = corpora.corpus(files);
    const before = await hnswIndexes("Annotation");
    statements.length = 0;
    const loader = base.$extends(hybridStore({ embedder: tinyEmbedder(), bulkLoad: { minRows: 10, share: 0 } }));
    const result = await ingestFiles(loader, [dir], { label, maxChars: 60, overlap: 0 });
    assert.ok(result.chunks >= 10);
    assert.equal(drops().length, 1);
    assert.deepEqual(await hnswIndexes("Annotation"), before);

    const store = new PrismaHybridVectorStore({
      prisma: base,
      embedder: tinyEmbedder(),
      bulkLoad: { minRows: 50, share: 0 },
    });
    statements.length = 0;
    const nodes = vectors(60).map((v, i) => new TextNode({ text: `node ${i} ${label}`, embedding: v }));
    await store.add(nodes);
    assert.equal(drops().length, 1);
    assert.deepEqual(await hnswIndexes("Annotation"), before);
    statements.length = 0;
    await store.add(nodes.slice(0, 10));
    assert.deepEqual(drops(), [], "10 nodes are below minRows");
  });
});

test("bulkLoad options and $bulkLoad arguments are checked", async () => {
  for (const bulkLoad of [{ minRows: -1 }, { share: Number.NaN }, { maintenanceWorkMem: "lots" }]) {
    assert.throws(() => hybridStore({ bulkLoad }), InvalidArgumentError);
  }
  await assert.rejects(
    // @ts-expect-error: not a model
    () => store.$bulkLoad(async () => 1, { models: ["Nope"] }),
    InvalidArgumentError,
  );
  await assert.rejects(() => store.$bulkLoad(async () => 1, { rows: 1.5 }), InvalidArgumentError);
});
