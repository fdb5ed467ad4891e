import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  Document,
  MetadataMode,
  NodeRelationship,
  Settings,
  storageContextFromDefaults,
  TextNode,
  VectorStoreIndex,
} from "llamaindex";
import { hybridStore } from "../../src/extension.ts";
import { MiniLmEmbedding, PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

Settings.embedModel = new MiniLmEmbedding(tinyEmbedder());
// Small chunks, so a long document becomes several nodes. Set before the first index is built:
// llamaindex 0.12 creates its default SentenceSplitter once, from a Settings copy of its own
// (Settings.nodeParser/chunkOverlap do not reach it; chunkSize does). Its overlap is 200.
Settings.chunkSize = 256;
const prisma = createPrisma();
after(() => prisma.$disconnect());

/** Retrieval restricted to one test's rows: every node of a test carries its unique label. */
const onlyLabel = (label: string) => ({ filters: [{ key: "label", operator: "==" as const, value: label }] });

async function countRows(sql: string, params: unknown[]): Promise<number> {
  return withPg(async (pg) => Number((await pg.query(sql, params)).rows[0].n));
}

describe("LlamaIndex VectorStoreIndex over PrismaHybridVectorStore", () => {
  test("fromDocuments with storageContextFromDefaults({ vectorStore }) then a retriever finds the right chunk", async () => {
    const label = uniqueLabel("li");
    const cats = new Document({
      id_: uniqueLabel("doc"),
      text: "Cats purr softly when they sleep in the sun.",
      metadata: { label, file_name: "cats.txt" },
    });
    const rockets = new Document({
      id_: uniqueLabel("doc"),
      text: "Rockets burn fuel to climb into orbit.",
      metadata: { label },
    });
    const vectorStore = new PrismaHybridVectorStore({ prisma });
    const storageContext = await storageContextFromDefaults({ vectorStore });
    const index = await VectorStoreIndex.fromDocuments([cats, rockets], { storageContext });

    const retriever = index.asRetriever({ similarityTopK: 1, filters: onlyLabel(label) });
    const [hit] = await retriever.retrieve({ query: "rockets burn fuel" });
    assert.ok(hit);
    assert.equal(hit.node.getContent(MetadataMode.NONE), "Rockets burn fuel to climb into orbit.");
    assert.equal(hit.node.sourceNode?.nodeId, rockets.id_);
    assert.ok(typeof hit.score === "number" && hit.score > 0 && hit.score <= 1);

    // Each ref doc became a Document row (content "", title from file_name), its chunks Annotation rows.
    const doc = await prisma.document.findUniqueOrThrow({ where: { id: cats.id_ }, include: { annotations: true } });
    assert.equal(doc.content, "");
    assert.equal(doc.title, "cats.txt");
    assert.equal(doc.annotations.length, 1);
    assert.equal(doc.annotations[0]!.label, label);
    assert.equal(doc.annotations[0]!.embeddingModel, tinyEmbedder().modelId);
    await vectorStore.delete(cats.id_);
    await vectorStore.delete(rockets.id_);
  });

  test("fromVectorStore reads rows written through the Prisma client (no LlamaIndex keys)", async () => {
    const extended = prisma.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const label = uniqueLabel("li");
    const doc = await extended.document.create({
      data: {
        content: "Pets",
        label,
        annotations: {
          create: [
            { rawText: "The grey cat purrs on the sofa.", label, page: 3, metadata: { color: "grey", tags: ["cat"] } },
            { rawText: "The dog barks at the mail carrier.", label, page: 4 },
          ],
        },
      },
      include: { annotations: true },
    });
    const cat = doc.annotations.find((a) => a.rawText.includes("cat"))!;

    const store = new PrismaHybridVectorStore({ prisma: extended, embedder: tinyEmbedder() });
    assert.equal(store.client(), extended);
    const index = await VectorStoreIndex.fromVectorStore(store);
    const [hit] = await index.asRetriever({ similarityTopK: 1, filters: onlyLabel(label) }).retrieve("grey cat purrs");
    assert.ok(hit);
    assert.ok(hit.node instanceof TextNode);
    assert.equal(hit.node.id_, cat.id);
    assert.equal(hit.node.text, cat.rawText);
    assert.deepEqual(hit.node.metadata, { color: "grey", tags: ["cat"] });
    assert.equal(hit.node.sourceNode?.nodeId, doc.id, "the row's Document is the node's source");
    await extended.document.delete({ where: { id: doc.id } });
  });

  test("index.deleteRefDoc removes every chunk of that document and nothing else", async () => {
    const label = uniqueLabel("li");
    const text = (topic: string) =>
      Array.from({ length: 60 }, (_, i) => `Sentence ${i} tells a long story about ${topic} number ${i}.`).join(" ");
    const a = new Document({ id_: uniqueLabel("doc"), text: text("apples"), metadata: { label } });
    const b = new Document({ id_: uniqueLabel("doc"), text: text("boats"), metadata: { label } });
    const vectorStore = new PrismaHybridVectorStore({ prisma });
    const storageContext = await storageContextFromDefaults({ vectorStore });
    const index = await VectorStoreIndex.fromDocuments([a, b], { storageContext });

    const chunks = (id: string) => countRows(`select count(*) as n from "Annotation" where "documentId" = $1`, [id]);
    const aChunks = await chunks(a.id_);
    const bChunks = await chunks(b.id_);
    assert.ok(aChunks > 1 && bChunks > 1, `documents split into several chunks (${aChunks}, ${bChunks})`);
    const totalBefore = await countRows(`select count(*) as n from "Annotation"`, []);

    await index.deleteRefDoc(a.id_);
    assert.equal(await chunks(a.id_), 0);
    assert.equal(await countRows(`select count(*) as n from "Document" where id = $1`, [a.id_]), 0);
    assert.equal(await chunks(b.id_), bChunks, "the other document keeps all its chunks");
    assert.equal(await countRows(`select count(*) as n from "Annotation"`, []), totalBefore - aChunks);

    const hits = await index
      .asRetriever({ similarityTopK: 10, filters: onlyLabel(label) })
      .retrieve("story about apples");
    assert.ok(hits.every((h) => h.node.sourceNode?.nodeId === b.id_));
    await vectorStore.delete(b.id_);
  });

  test("a node id is not a ref doc id: delete(nodeId) leaves the node's document alone", async () => {
    const label = uniqueLabel("li");
    const docId = uniqueLabel("doc");
    const source = { [NodeRelationship.SOURCE]: { nodeId: docId, metadata: {} } };
    const nodes = [1, 2].map(
      (i) => new TextNode({ id_: uniqueLabel("node"), text: `chunk ${i}`, metadata: { label }, relationships: source }),
    );
    const store = new PrismaHybridVectorStore({ prisma });
    await store.add(nodes);
    await store.delete(nodes[0]!.id_);
    assert.equal(await countRows(`select count(*) as n from "Annotation" where "documentId" = $1`, [docId]), 2);
    assert.equal(await store.deleteNodes([nodes[0]!.id_]), 1);
    assert.equal(await countRows(`select count(*) as n from "Annotation" where "documentId" = $1`, [docId]), 1);
    await store.delete(docId);
    assert.equal(await countRows(`select count(*) as n from "Annotation" where "documentId" = $1`, [docId]), 0);
  });

  test("nodes read back equal the nodes written: id, text, metadata, relationships", async () => {
    const label = uniqueLabel("li");
    const docId = uniqueLabel("doc");
    const ids = [uniqueLabel("n"), uniqueLabel("n"), uniqueLabel("n")];
    const rel = (i: number) => ({
      [NodeRelationship.SOURCE]: { nodeId: docId, metadata: { file_name: "notes.md" }, hash: "h" },
      ...(i > 0 ? { [NodeRelationship.PREVIOUS]: { nodeId: ids[i - 1]!, metadata: {} } } : {}),
      ...(i < 2 ? { [NodeRelationship.NEXT]: { nodeId: ids[i + 1]!, metadata: {} } } : {}),
    });
    const written = ids.map(
      (id, i) =>
        new TextNode({
          id_: id,
          text: `Note ${i}: "quotes", émoji 🐈, back\\slash and 100% _under_ score`,
          metadata: { label, page: i, nested: { a: [1, null, "x"] }, flag: i === 0, empty: "" },
          relationships: rel(i),
          excludedEmbedMetadataKeys: ["label"],
        }),
    );
    const store = new PrismaHybridVectorStore({ prisma });
    assert.deepEqual(await store.add(written), ids);
    const { nodes, ids: found } = await store.query({
      queryStr: "note quotes",
      similarityTopK: 10,
      mode: "default" as never,
      filters: onlyLabel(label),
    });
    assert.equal(found.length, 3);
    for (const w of written) {
      const r = nodes?.find((n) => n.id_ === w.id_) as TextNode | undefined;
      assert.ok(r instanceof TextNode);
      assert.equal(r.text, w.text);
      assert.deepEqual(r.metadata, w.metadata);
      assert.deepEqual(r.relationships, w.relationships);
      assert.deepEqual(r.excludedEmbedMetadataKeys, ["label"]);
      assert.equal(r.hash, w.hash);
    }
    await store.delete(docId);
  });
});
