import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import type { Embedder } from "../../src/embed/embedder.ts";
import { DimensionMismatchError, EmbeddingError, InvalidArgumentError } from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
after(() => base.$disconnect());

/** Wraps the tiny model to count calls, embed in batches of 32 and fail on the Nth batch. */
function countingEmbedder(failOnBatch?: number): Embedder & { calls: string[][] } {
  const inner = tinyEmbedder();
  const calls: string[][] = [];
  let batches = 0;
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    calls,
    async embed(texts) {
      calls.push([...texts]);
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += 32) {
        if (++batches === failOnBatch) throw new Error("model crashed");
        out.push(...(await inner.embed(texts.slice(i, i + 32))));
      }
      return out;
    },
  };
}

/** The stored vector of a row, read around the library, or null. */
async function storedVector(table: "Document" | "Annotation", id: string): Promise<number[] | null> {
  return withPg(async (pg) => {
    const r = await pg.query(`select embedding::text as v from "${table}" where id = $1`, [id]);
    const v = r.rows[0]?.v as string | null | undefined;
    return v ? (JSON.parse(v) as number[]) : null;
  });
}

/** All of @prisma/adapter-pg's debug history (its @prisma/debug), as text. */
async function adapterDebugLogs(): Promise<string> {
  const require = createRequire(import.meta.url);
  const utils = createRequire(require.resolve("@prisma/adapter-pg")).resolve("@prisma/driver-adapter-utils");
  const path = createRequire(utils).resolve("@prisma/debug").replace(/\.js$/, ".mjs");
  const { getLogs } = (await import(pathToFileURL(path).href)) as { getLogs: (chars: number) => string };
  return getLogs(Number.MAX_SAFE_INTEGER);
}

const near = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-6);

async function countRows(label: string) {
  const docs = await base.document.count({ where: { label } });
  const anns = await base.annotation.count({ where: { label } });
  return { docs, anns };
}

describe("save hook", () => {
  test("create embeds content in the same statement", async () => {
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const doc = await prisma.document.create({ data: { content: "the cat sat on the mat", label: uniqueLabel() } });
    const [expected] = await tinyEmbedder().embed(["the cat sat on the mat"]);
    const stored = await storedVector("Document", doc.id);
    assert.ok(stored && near(stored, expected!));
    assert.equal(doc.embeddingModel, tinyEmbedder().modelId);
    assert.equal(doc.embeddingPayload, null, "the payload column is write-only");
  });

  test("nested annotation creates and createMany are embedded, in one embedder call", async () => {
    const embedder = countingEmbedder();
    const prisma = base.$extends(hybridStore({ embedder, cacheSize: 0 }));
    const label = uniqueLabel();
    const doc = await prisma.document.create({
      data: {
        content: "parent text",
        label,
        annotations: {
          create: [
            { rawText: "first chunk", label },
            { rawText: "second chunk", label },
          ],
        },
      },
      include: { annotations: true },
    });
    assert.equal(embedder.calls.length, 1);
    assert.deepEqual(new Set(embedder.calls[0]), new Set(["parent text", "first chunk", "second chunk"]));
    for (const a of doc.annotations) assert.ok(await storedVector("Annotation", a.id));

    embedder.calls.length = 0;
    const many = Array.from({ length: 70 }, (_, i) => ({ documentId: doc.id, rawText: `chunk number ${i}`, label }));
    await prisma.annotation.createMany({ data: many });
    assert.equal(embedder.calls.length, 1, "createMany hands all texts to the embedder at once (it batches)");
    const missing = await withPg((pg) =>
      pg.query(`select count(*)::int as n from "Annotation" where label = $1 and embedding is null`, [label]),
    );
    assert.equal(missing.rows[0].n, 0);
  });

  test("update re-embeds a changed text and keeps the vector when the text is unchanged", async () => {
    const embedder = countingEmbedder();
    const prisma = base.$extends(hybridStore({ embedder }));
    const doc = await prisma.document.create({ data: { content: "alpha beta", label: uniqueLabel() } });
    await prisma.document.update({ where: { id: doc.id }, data: { title: "renamed" } });
    assert.equal(embedder.calls.length, 1, "a write without text embeds nothing");
    const before = await storedVector("Document", doc.id);

    await prisma.document.update({ where: { id: doc.id }, data: { content: { set: "gamma delta" } } });
    const after = await storedVector("Document", doc.id);
    const [expected] = await tinyEmbedder().embed(["gamma delta"]);
    assert.ok(after && near(after, expected!));
    assert.ok(before && !near(before, after));

    const calls = embedder.calls.length;
    await prisma.document.update({ where: { id: doc.id }, data: { content: "gamma delta" } });
    assert.equal(embedder.calls.length, calls, "identical text is not embedded again");
  });

  test("upsert embeds both branches", async () => {
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const source = `upsert-${uniqueLabel()}`;
    const created = await prisma.document.upsert({
      where: { source },
      create: { source, content: "created text" },
      update: { content: "updated text" },
    });
    const updated = await prisma.document.upsert({
      where: { source },
      create: { source, content: "created text" },
      update: { content: "updated text" },
    });
    assert.equal(created.id, updated.id);
    const [expected] = await tinyEmbedder().embed(["updated text"]);
    assert.ok(near((await storedVector("Document", created.id))!, expected!));
  });

  test("explicit vectors are validated and stored", async () => {
    const prisma = base.$extends(hybridStore({ embedder: countingEmbedder() }));
    const label = uniqueLabel();
    const vector = Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0));
    const doc = await prisma.document.create({ data: { content: "given", label, ...withEmbedding(vector) } });
    assert.deepEqual(await storedVector("Document", doc.id), vector);

    for (const bad of [[1, 2, 3], Array(384).fill(Number.NaN), Array(384).fill(Number.POSITIVE_INFINITY), "x"]) {
      await assert.rejects(
        prisma.document.create({ data: { content: "bad", label, ...withEmbedding(bad as number[]) } }),
        DimensionMismatchError,
      );
    }
    assert.deepEqual(await countRows(label), { docs: 1, anns: 0 });
  });

  test("the shortened vector text stores the same float4 values as full float64 digits", async () => {
    const prisma = base.$extends(hybridStore({ embedder: countingEmbedder() }));
    let seed = 12345;
    const next = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647) * 2 - 1;
    };
    // Unit-scale values, tiny and large ones: all must come back as the same float4.
    const vector = Array.from({ length: 384 }, (_, i) => next() * 10 ** ((i % 9) - 6));
    const doc = await prisma.document.create({
      data: { content: "digits", label: uniqueLabel(), ...withEmbedding(vector) },
    });
    const viaFullDigits = await withPg(async (pg) => {
      const r = await pg.query(`select $1::vector::text as v`, [`[${vector.join(",")}]`]);
      return r.rows[0].v as string;
    });
    const stored = await withPg(async (pg) => {
      const r = await pg.query(`select embedding::text as v from "Document" where id = $1`, [doc.id]);
      return r.rows[0].v as string;
    });
    assert.equal(stored, viaFullDigits);
    // pgvector prints the shortest text of each float4: read back as float32, it is the input's.
    assert.deepEqual((JSON.parse(stored) as number[]).map(Math.fround), vector.map(Math.fround));
  });

  test("a bulk write's vectors are let go from Prisma's debug history by the next write", async () => {
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const label = uniqueLabel();
    const doc = await prisma.document.create({ data: { content: "holder", label } });
    // 250 vectors of about 5 KB: past the 1 MB after which the hook releases the history.
    const rows = Array.from({ length: 250 }, (_, i) => ({ documentId: doc.id, rawText: `bulk-marker ${i}`, label }));
    await prisma.annotation.createMany({ data: rows });
    assert.match(await adapterDebugLogs(), /bulk-marker/, "adapter-pg keeps the statement's parameters");
    await prisma.annotation.create({ data: { documentId: doc.id, rawText: "the next write", label } });
    assert.doesNotMatch(await adapterDebugLogs(), /bulk-marker/);
    assert.deepEqual(await countRows(label), { docs: 1, anns: 251 });
  });

  test("an embedder failure writes nothing, even on the third batch of a createMany", async () => {
    const label = uniqueLabel();
    const doc = await base.document.create({ data: { content: "holder", label } });
    const failFirst = base.$extends(hybridStore({ embedder: countingEmbedder(1) }));
    await assert.rejects(failFirst.document.create({ data: { content: "never", label } }), EmbeddingError);
    const failThird = countingEmbedder(3);
    const prisma = base.$extends(hybridStore({ embedder: failThird, cacheSize: 0 }));
    await assert.rejects(
      prisma.annotation.createMany({
        data: Array.from({ length: 100 }, (_, i) => ({ documentId: doc.id, rawText: `t${i}`, label })),
      }),
      EmbeddingError,
    );
    assert.equal(failThird.calls.length, 1);
    assert.deepEqual(await countRows(label), { docs: 1, anns: 0 });
  });

  test("bad text is a typed error and writes nothing", async () => {
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const label = uniqueLabel();
    await assert.rejects(prisma.document.create({ data: { content: "nul \u0000 byte", label } }), InvalidArgumentError);
    await assert.rejects(
      prisma.document.create({ data: { content: "lone \ud800 surrogate", label } }),
      InvalidArgumentError,
    );
    assert.deepEqual(await countRows(label), { docs: 0, anns: 0 });
  });

  test("row and vector roll back together with the caller's transaction", async () => {
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const label = uniqueLabel();
    await assert.rejects(
      prisma.$transaction(async (tx) => {
        await tx.document.create({ data: { content: "inside a transaction", label } });
        throw new Error("abort");
      }),
      /abort/,
    );
    assert.deepEqual(await countRows(label), { docs: 0, anns: 0 });
    const doc = await prisma.$transaction(async (tx) => tx.document.create({ data: { content: "committed", label } }));
    assert.ok(await storedVector("Document", doc.id));
  });
});
