import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { MetadataMode, NodeRelationship, Settings, TextNode } from "llamaindex";
import { defaultEmbedder } from "../../src/embed/default-embedder.ts";
import type { Embedder } from "../../src/embed/embedder.ts";
import {
  DimensionMismatchError,
  EmbeddingError,
  InvalidArgumentError,
  QueryError,
  SchemaMismatchError,
} from "../../src/errors.ts";
import type { PrismaLikeClient } from "../../src/llamaindex/index.ts";
import { MiniLmEmbedding, PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder, tinyModelDir } from "../helpers/store.ts";

const prisma = createPrisma();
after(() => prisma.$disconnect());

const node = (docId: string, text = "some text", extra: Partial<ConstructorParameters<typeof TextNode>[0]> = {}) =>
  new TextNode({
    id_: uniqueLabel("n"),
    text,
    relationships: { [NodeRelationship.SOURCE]: { nodeId: docId, metadata: {} } },
    ...extra,
  });

async function rowsOf(docId: string): Promise<{ annotations: number; documents: number }> {
  return withPg(async (pg) => {
    const r = await pg.query(
      `select (select count(*) from "Annotation" where "documentId" = $1)::int as annotations,
              (select count(*) from "Document" where id = $1)::int as documents`,
      [docId],
    );
    return r.rows[0] as { annotations: number; documents: number };
  });
}

async function storedVector(id: string): Promise<number[] | null> {
  return withPg(async (pg) => {
    const r = await pg.query(`select embedding::text as v from "Annotation" where id = $1`, [id]);
    const v = r.rows[0]?.v as string | null | undefined;
    return v ? (JSON.parse(v) as number[]) : null;
  });
}
const near = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < 1e-6);

describe("PrismaHybridVectorStore writes", () => {
  const store = new PrismaHybridVectorStore({ prisma, embedder: tinyEmbedder() });

  test("a wrong embedding length or a NaN is a DimensionMismatchError and nothing is written", async () => {
    const docId = uniqueLabel("doc");
    const good = node(docId, "fine", { embedding: new Array(384).fill(0.1) });
    for (const embedding of [
      [1, 2, 3],
      [...new Array(383).fill(0.1), Number.NaN],
      [...new Array(383).fill(0), Number.POSITIVE_INFINITY],
    ]) {
      await assert.rejects(store.add([good, node(docId, "bad", { embedding })]), DimensionMismatchError);
    }
    assert.deepEqual(await rowsOf(docId), { annotations: 0, documents: 0 });
  });

  test("text or metadata PostgreSQL cannot store is an InvalidArgumentError and nothing is written", async () => {
    const docId = uniqueLabel("doc");
    await assert.rejects(store.add([node(docId), node(docId, "nul \u0000 inside")]), InvalidArgumentError);
    await assert.rejects(store.add([node(docId, "x", { metadata: { bad: "a\u0000b" } })]), InvalidArgumentError);
    await assert.rejects(store.add([node(docId, "x", { metadata: { big: 1n } })]), InvalidArgumentError);
    await assert.rejects(store.add([node(docId, "x", { metadata: { fn: () => 1 } })]), InvalidArgumentError);
    const twoSources = { [NodeRelationship.SOURCE]: [{ nodeId: docId, metadata: {} }] };
    await assert.rejects(store.add([new TextNode({ text: "x", relationships: twoSources })]), InvalidArgumentError);
    await assert.rejects(store.add([node(docId, "lone \uD800 surrogate")]), InvalidArgumentError);
    await assert.rejects(store.add("nodes" as never), InvalidArgumentError);
    assert.deepEqual(await rowsOf(docId), { annotations: 0, documents: 0 });
  });

  test("all rows of one add() are one transaction: a failing statement leaves no Document behind", async () => {
    const docId = uniqueLabel("doc");
    // The Annotation INSERT (after the Document's) fails: a check constraint rejects this model id.
    const modelId = uniqueLabel("rejected-model");
    const constraint = `phs_${modelId.replaceAll("-", "_")}`;
    await withPg((pg) =>
      pg.query(
        `alter table "Annotation" add constraint "${constraint}" check ("embeddingModel" is distinct from '${modelId}') not valid`,
      ),
    );
    try {
      const rejected: Embedder = { modelId, dimensions: 384, embed: (t) => tinyEmbedder().embed(t) };
      const broken = new PrismaHybridVectorStore({ prisma, embedder: rejected });
      await assert.rejects(broken.add([node(docId, "a"), node(docId, "b")]), QueryError);
    } finally {
      await withPg((pg) => pg.query(`alter table "Annotation" drop constraint "${constraint}"`));
    }
    assert.deepEqual(await rowsOf(docId), { annotations: 0, documents: 0 });
  });

  test("nodes without an embedding are embedded like LlamaIndex does (content with embed metadata)", async () => {
    const docId = uniqueLabel("doc");
    const n = node(docId, "cats purr", {
      metadata: { topic: "pets", secret: "s" },
      excludedEmbedMetadataKeys: ["secret"],
    });
    const given = node(docId, "given vector", { embedding: new Array(384).fill(0).map((_, i) => (i === 7 ? 1 : 0)) });
    assert.deepEqual(await store.add([n, given]), [n.id_, given.id_]);
    const [expected] = await tinyEmbedder().embed([n.getContent(MetadataMode.EMBED)]);
    assert.ok(near((await storedVector(n.id_))!, expected!));
    assert.ok(near((await storedVector(given.id_))!, given.embedding!));
    const row = await prisma.annotation.findUniqueOrThrow({ where: { id: n.id_ } });
    assert.equal(row.rawText, "cats purr");
    assert.equal(row.embeddingModel, tinyEmbedder().modelId);
    assert.equal(row.embeddingPayload, null);
    await store.delete(docId);
  });

  test("add upserts by node id: new text, vector, metadata and document replace the old ones", async () => {
    const docA = uniqueLabel("doc");
    const docB = uniqueLabel("doc");
    const first = node(docA, "old text", { metadata: { label: "one", page: 1 } });
    await store.add([first]);
    const created = await prisma.annotation.findUniqueOrThrow({ where: { id: first.id_ } });
    const second = node(docB, "new text", { id_: first.id_, metadata: { page: 2 } });
    // Text that is SQL, a placeholder and escapes: stored as it is.
    const hostile = `newest text: it's "$1"; DROP TABLE x; -- \\ \\'`;
    const third = node(docB, hostile, { id_: first.id_, metadata: { label: `three $2 '; --`, page: 2.5 } });
    assert.deepEqual(await store.add([second, third]), [first.id_, first.id_], "a repeated id: the last node wins");
    const row = await prisma.annotation.findUniqueOrThrow({ where: { id: first.id_ } });
    assert.equal(row.rawText, hostile);
    assert.equal(row.documentId, docB);
    assert.equal(row.label, `three $2 '; --`);
    // Prisma's defaults, as Prisma fills them: createdAt once, @updatedAt on every write.
    assert.equal(row.createdAt.getTime(), created.createdAt.getTime());
    assert.ok(row.updatedAt.getTime() >= created.updatedAt.getTime());
    assert.ok(created.createdAt.getTime() === created.updatedAt.getTime(), "one time for both on create");
    assert.equal(row.page, null, "page 2.5 is not an Int: it stays in metadata only");
    assert.deepEqual((row.metadata as Record<string, unknown>).page, 2.5);
    const [expected] = await tinyEmbedder().embed([third.getContent(MetadataMode.EMBED)]);
    assert.ok(near((await storedVector(first.id_))!, expected!), "the vector of the new text, not NULL");
    assert.deepEqual(await rowsOf(docB), { annotations: 1, documents: 1 });
    assert.deepEqual(await store.add([]), []);
    await store.delete(docA);
    await store.delete(docB);
  });

  test("an existing Document is reused, not overwritten; a node without a source is its own document", async () => {
    const doc = await prisma.document.create({
      data: { content: "the real content", title: "Real", updatedAt: new Date() },
    });
    await store.add([node(doc.id, "chunk")]);
    const after = await prisma.document.findUniqueOrThrow({ where: { id: doc.id } });
    assert.equal(after.content, "the real content");
    assert.equal(after.title, "Real");
    const lone = new TextNode({ id_: uniqueLabel("lone"), text: "alone" });
    await store.add([lone]);
    assert.deepEqual(await rowsOf(lone.id_), { annotations: 1, documents: 1 });
    await store.delete(lone.id_);
    await store.delete(doc.id);
    assert.deepEqual(await rowsOf(doc.id), { annotations: 0, documents: 0 });
  });

  test("inside an interactive transaction the store's writes join the caller's transaction", async () => {
    const docId = uniqueLabel("doc");
    await assert.rejects(
      prisma.$transaction(async (tx) => {
        const inTx = new PrismaHybridVectorStore({ prisma: tx, embedder: tinyEmbedder() });
        await inTx.add([node(docId, "in a transaction")]);
        assert.equal(
          (await inTx.query({ queryStr: "transaction", similarityTopK: 1, mode: "default" as never, docIds: [docId] }))
            .ids.length,
          1,
        );
        throw new Error("roll back");
      }),
      /roll back/,
    );
    assert.deepEqual(await rowsOf(docId), { annotations: 0, documents: 0 });
  });

  test("delete and deleteNodes validate their arguments", async () => {
    await assert.rejects(store.delete(""), InvalidArgumentError);
    await assert.rejects(store.delete(undefined as never), InvalidArgumentError);
    await assert.rejects(store.deleteNodes("id" as never), InvalidArgumentError);
    assert.equal(await store.deleteNodes([]), 0);
    assert.equal(await store.deleteNodes([uniqueLabel("missing")]), 0);
  });
});

describe("PrismaHybridVectorStore options", () => {
  test("bad options are one InvalidArgumentError listing every problem", async () => {
    assert.throws(() => new PrismaHybridVectorStore(undefined as never), InvalidArgumentError);
    assert.throws(
      () =>
        new PrismaHybridVectorStore({
          prisma: {} as never,
          documentId: "",
          mustHaveText: 5 as never,
          embedder: {} as never,
          extra: 1,
        } as never),
      (err: unknown) =>
        err instanceof InvalidArgumentError &&
        ["prisma", "documentId", "mustHaveText", "embedder", "extra"].every((k) =>
          err.issues.some((i) => i.path[0] === k),
        ),
    );
    assert.throws(() => new PrismaHybridVectorStore({ prisma, mustHaveText: "a\u0000" }), InvalidArgumentError);
    const noModels = {
      $queryRawUnsafe: async () => [],
      $executeRawUnsafe: async () => 0,
    } as unknown as PrismaLikeClient;
    assert.throws(() => new PrismaHybridVectorStore({ prisma: noModels }), SchemaMismatchError);
  });

  test("embedModel and embedder: one model for nodes, queries and LlamaIndex", () => {
    const withEmbedder = new PrismaHybridVectorStore({ prisma, embedder: tinyEmbedder() });
    assert.ok(withEmbedder.embedModel instanceof MiniLmEmbedding);
    assert.equal((withEmbedder.embedModel as MiniLmEmbedding).embedder, tinyEmbedder());
    const settings = new MiniLmEmbedding(tinyEmbedder());
    Settings.withEmbedModel(settings, () => {
      assert.equal(new PrismaHybridVectorStore({ prisma }).embedModel, settings, "Settings.embedModel when set");
    });
    const explicit = new MiniLmEmbedding(tinyEmbedder());
    assert.equal(new PrismaHybridVectorStore({ prisma, embedModel: explicit }).embedModel, explicit);
  });
});

describe("MiniLmEmbedding", () => {
  test("wraps an Embedder: getTextEmbedding, getTextEmbeddings, getQueryEmbedding, and LlamaIndex's transform", async () => {
    const embedding = new MiniLmEmbedding(tinyEmbedder());
    const [a, b] = await tinyEmbedder().embed(["first text", "second text"]);
    assert.ok(near(await embedding.getTextEmbedding("first text"), a!));
    const both = await embedding.getTextEmbeddings(["first text", "second text"]);
    assert.ok(near(both[0]!, a!) && near(both[1]!, b!));
    assert.ok(near((await embedding.getQueryEmbedding({ type: "text", text: "second text" }))!, b!));
    const many = await embedding.getTextEmbeddingsBatch(Array.from({ length: 70 }, (_, i) => `text ${i}`));
    assert.equal(many.length, 70);
    const nodes = [new TextNode({ text: "first text" })];
    await embedding(nodes);
    assert.ok(near(nodes[0]!.embedding!, a!));
    assert.equal(embedding.embedInfo?.dimensions, 384);
  });

  test("defaults to the shared defaultEmbedder(); options make a new MiniLmEmbedder", async () => {
    assert.equal(new MiniLmEmbedding().embedder, defaultEmbedder());
    const own = new MiniLmEmbedding({ modelDir: tinyModelDir, batchSize: 4 });
    assert.notEqual(own.embedder, tinyEmbedder());
    assert.equal(own.embedBatchSize, 4);
    assert.ok(near(await own.getTextEmbedding("hello"), (await tinyEmbedder().embed(["hello"]))[0]!));
    assert.throws(() => new MiniLmEmbedding({ batchSize: 0 }), InvalidArgumentError);
  });

  test("embedder failures and bad vectors are typed errors", async () => {
    const failing = new MiniLmEmbedding({
      modelId: "x",
      dimensions: 384,
      embed: async () => Promise.reject(new Error("boom")),
    });
    await assert.rejects(failing.getTextEmbedding("x"), EmbeddingError);
    const short = new MiniLmEmbedding({ modelId: "x", dimensions: 384, embed: async (t) => t.map(() => [1, 2]) });
    await assert.rejects(short.getTextEmbedding("x"), DimensionMismatchError);
    const missing = new MiniLmEmbedding({ modelId: "x", dimensions: 384, embed: async () => [] });
    await assert.rejects(missing.getTextEmbedding("x"), EmbeddingError);
  });
});
