import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NodeRelationship, Settings, TextNode, VectorStoreIndex, VectorStoreQueryMode } from "llamaindex";
import { DimensionMismatchError, InvalidArgumentError } from "../../src/errors.ts";
import type { HybridVectorStoreQuery } from "../../src/llamaindex/index.ts";
import { HybridQueryMode, MiniLmEmbedding, PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

Settings.embedModel = new MiniLmEmbedding(tinyEmbedder());
const prisma = createPrisma();
const label = uniqueLabel("liq");
const docA = uniqueLabel("doc");
const docB = uniqueLabel("doc");
const onlyMine = { filters: [{ key: "label", operator: "==" as const, value: label }] };

const TEXTS = {
  purr1: "cats purr softly on the warm mat",
  purr2: "cats purr softly on the warm mat",
  chase: "a cat chased the mouse across the kitchen",
  rocket: "rockets burn fuel to reach orbit",
  orbit: "orbit insertion needs a precise rocket burn",
  dog: "dogs bark loudly at the mail carrier 100% of the time",
  under: "the a_b variable and the axb variable live in C:\\temp",
};
type Key = keyof typeof TEXTS;
const ids = Object.fromEntries(Object.keys(TEXTS).map((k) => [k, uniqueLabel(k)])) as Record<Key, string>;
const keyOf = (id: string) => (Object.keys(ids) as Key[]).find((k) => ids[k] === id);
const store = new PrismaHybridVectorStore({ prisma });

before(async () => {
  const nodes = (Object.keys(TEXTS) as Key[]).map((k, i) => {
    const source = { [NodeRelationship.SOURCE]: { nodeId: i < 3 ? docA : docB, metadata: {} } };
    // The embedding is of the text alone, so the brute-force check below can recompute nothing but cosines.
    return new TextNode({ id_: ids[k], text: TEXTS[k], metadata: { label }, relationships: source });
  });
  const vectors = await tinyEmbedder().embed(nodes.map((n) => n.text));
  nodes.forEach((n, i) => {
    n.embedding = vectors[i];
  });
  await store.add(nodes);
});
after(async () => {
  await store.delete(docA);
  await store.delete(docB);
  await prisma.$disconnect();
});

const query = (q: Partial<HybridVectorStoreQuery>, s = store) =>
  s.query({ similarityTopK: 10, mode: HybridQueryMode.DEFAULT, filters: onlyMine, ...q });

/** Every row of this suite with its stored vector, read around the library. */
async function storedVectors(): Promise<Map<string, number[]>> {
  return withPg(async (pg) => {
    const r = await pg.query(`select id, embedding::text as v from "Annotation" where label = $1`, [label]);
    return new Map(r.rows.map((row: { id: string; v: string }) => [row.id, JSON.parse(row.v) as number[]]));
  });
}

const cosine = (a: readonly number[], b: readonly number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i]!;
    na += x * x;
    nb += b[i]! * b[i]!;
  });
  return dot / Math.sqrt(na * nb);
};

describe("PrismaHybridVectorStore.query modes", () => {
  test("DEFAULT: nearest first, similarity = 1 - cosine distance (checked by brute force)", async () => {
    const [q] = await tinyEmbedder().embed(["cat purr mat"]);
    const result = await query({ queryEmbedding: q, similarityTopK: 5 });
    const brute = [...(await storedVectors())]
      .map(([id, v]) => ({ id, similarity: cosine(q!, v) }))
      .sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1))
      .slice(0, 5);
    assert.deepEqual(
      result.ids,
      brute.map((b) => b.id),
    );
    for (const [i, s] of result.similarities.entries()) {
      assert.ok(Math.abs(s - brute[i]!.similarity) < 1e-5, `${s} vs ${brute[i]!.similarity}`);
    }
    for (let i = 1; i < result.similarities.length; i++)
      assert.ok(result.similarities[i - 1]! >= result.similarities[i]!);
    assert.deepEqual(
      result.nodes?.map((n) => n.id_),
      result.ids,
    );
    assert.deepEqual(new Set(result.ids.slice(0, 2).map(keyOf)), new Set(["purr1", "purr2"]));

    const byText = await query({ queryStr: "cat purr mat", similarityTopK: 5 });
    assert.deepEqual(byText.ids, result.ids, "queryStr is embedded with the store's embedder");
  });

  test("TEXT_SEARCH and SPARSE: full text over rawText, best rank first, only matching rows", async () => {
    for (const mode of [HybridQueryMode.TEXT_SEARCH, HybridQueryMode.SPARSE, VectorStoreQueryMode.SPARSE]) {
      const result = await query({ mode, queryStr: "cat" });
      assert.deepEqual(new Set(result.ids.map(keyOf)), new Set(["purr1", "purr2", "chase"]), mode);
      for (let i = 1; i < result.similarities.length; i++)
        assert.ok(result.similarities[i - 1]! >= result.similarities[i]!);
      assert.ok(result.similarities.every((s) => s > 0));
    }
    const none = await query({ mode: HybridQueryMode.TEXT_SEARCH, queryStr: "submarine" });
    assert.deepEqual(none.ids, []);
  });

  test("HYBRID: alpha 1 ranks like pure vector, alpha 0 like pure text, no alpha = RRF", async () => {
    const [q] = await tinyEmbedder().embed(["rocket orbit"]);
    const vector = await query({ queryEmbedding: q, similarityTopK: 4 });
    const text = await query({ mode: HybridQueryMode.TEXT_SEARCH, queryStr: "rocket orbit", similarityTopK: 4 });
    const hybrid = (alpha?: number) =>
      query({ mode: HybridQueryMode.HYBRID, queryStr: "rocket orbit", queryEmbedding: q, similarityTopK: 4, alpha });

    const one = await hybrid(1);
    assert.deepEqual(one.ids, vector.ids);
    for (const [i, s] of one.similarities.entries()) assert.ok(Math.abs(s - vector.similarities[i]!) < 1e-9);
    const zero = await hybrid(0);
    assert.deepEqual(zero.ids, text.ids);
    const rrf = await hybrid(undefined);
    assert.deepEqual(new Set(rrf.ids.slice(0, 2).map(keyOf)), new Set(["rocket", "orbit"]));
    assert.ok(Math.abs(rrf.similarities[0]! - 2 / 61) < 1e-9, "first in both lists: 1/(60+1) twice");
    for (const r of [one, zero, rrf]) {
      for (let i = 1; i < r.similarities.length; i++) assert.ok(r.similarities[i - 1]! >= r.similarities[i]!);
    }
    await assert.rejects(hybrid(1.5), InvalidArgumentError);
  });

  test("HYBRID through a retriever (queryStr and queryEmbedding come from LlamaIndex)", async () => {
    const index = await VectorStoreIndex.fromVectorStore(store);
    const retriever = index.asRetriever({ similarityTopK: 2, mode: HybridQueryMode.HYBRID, filters: onlyMine });
    const hits = await retriever.retrieve("dogs bark");
    assert.equal(hits[0]?.node.id_, ids.dog);
  });

  test("MMR: candidates by vector, re-ranked for diversity with mmrThreshold", async () => {
    const [q] = await tinyEmbedder().embed(["cats purr softly"]);
    const plain = await query({ queryEmbedding: q, similarityTopK: 2 });
    assert.deepEqual(
      new Set(plain.ids.map(keyOf)),
      new Set(["purr1", "purr2"]),
      "plain search returns both duplicates",
    );

    const mmr = await query({ mode: HybridQueryMode.MMR, queryEmbedding: q, similarityTopK: 2, mmrThreshold: 0.5 });
    assert.equal(mmr.ids.length, 2);
    assert.equal(mmr.ids.filter((id) => id === ids.purr1 || id === ids.purr2).length, 1, "MMR keeps one duplicate");

    // Brute-force MMR over all rows (every row is a candidate here), max-similarity penalty.
    const all = [...(await storedVectors())].sort(([a], [b]) => (a < b ? -1 : 1));
    const picked: [string, number[]][] = [];
    const scores: number[] = [];
    const pool = [...all].sort(([ia, a], [ib, b]) => cosine(q!, b) - cosine(q!, a) || (ia < ib ? -1 : 1));
    while (picked.length < 2) {
      let best = 0;
      let bestScore = Number.NEGATIVE_INFINITY;
      pool.forEach(([, v], i) => {
        const penalty = picked.length ? Math.max(...picked.map(([, p]) => cosine(v, p))) : 0;
        const score = 0.5 * cosine(q!, v) - 0.5 * penalty;
        if (score > bestScore + 1e-12) [best, bestScore] = [i, score];
      });
      picked.push(pool.splice(best, 1)[0]!);
      scores.push(bestScore);
    }
    assert.deepEqual(
      mmr.ids,
      picked.map(([id]) => id),
    );
    for (const [i, s] of mmr.similarities.entries()) assert.ok(Math.abs(s - scores[i]!) < 1e-5);

    const pure = await query({ mode: HybridQueryMode.MMR, queryEmbedding: q, similarityTopK: 3, mmrThreshold: 1 });
    const nearest = await query({ queryEmbedding: q, similarityTopK: 3 });
    assert.deepEqual(pure.ids, nearest.ids, "mmrThreshold 1 is plain relevance order");
    const diverse = await query({ mode: HybridQueryMode.MMR, queryEmbedding: q, similarityTopK: 2, mmrThreshold: 0 });
    assert.equal(diverse.ids.length, 2, "mmrThreshold 0 is honoured, not replaced by the default");
  });

  test("documentId scope: every query sees only that document's chunks, combined with filters and docIds", async () => {
    const scoped = new PrismaHybridVectorStore({ prisma, documentId: docA });
    for (const mode of [
      HybridQueryMode.DEFAULT,
      HybridQueryMode.TEXT_SEARCH,
      HybridQueryMode.HYBRID,
      HybridQueryMode.MMR,
    ]) {
      const r = await query({ mode, queryStr: "cat or rocket or orbit" }, scoped);
      assert.ok(r.ids.length > 0 && r.ids.every((id) => ["purr1", "purr2", "chase"].includes(keyOf(id)!)), mode);
    }
    assert.deepEqual((await query({ queryStr: "cat", docIds: [docB] }, scoped)).ids, [], "scope AND docIds");
    const b = await query({ queryStr: "cat", docIds: [docB] });
    assert.ok(b.ids.length > 0 && b.ids.every((id) => !["purr1", "purr2", "chase"].includes(keyOf(id)!)));
    assert.deepEqual((await query({ queryStr: "cat", docIds: [] })).ids, [], "an empty docIds list allows nothing");
  });

  test("mustHaveText scope: case-insensitive, %, _ and \\ are literal", async () => {
    const has = async (text: string) => {
      const s = new PrismaHybridVectorStore({ prisma, mustHaveText: text });
      return new Set((await query({ queryStr: "cat rocket dog variable" }, s)).ids.map(keyOf));
    };
    assert.deepEqual(await has("PURR"), new Set(["purr1", "purr2"]));
    assert.deepEqual(await has("100%"), new Set(["dog"]));
    assert.deepEqual(await has("0%"), new Set(["dog"]));
    assert.deepEqual(await has("a_b"), new Set(["under"]), "_ is not a wildcard (axb does not match)");
    assert.deepEqual(await has("%"), new Set(["dog"]));
    assert.deepEqual(await has("c:\\T"), new Set(["under"]), "a backslash matches itself");
    const both = new PrismaHybridVectorStore({ prisma, mustHaveText: "cat", documentId: docA });
    const r = await query(
      { queryStr: "cat", filters: { filters: [...onlyMine.filters, { key: "label", operator: "!=", value: "x" }] } },
      both,
    );
    assert.deepEqual(new Set(r.ids.map(keyOf)), new Set(["purr1", "purr2", "chase"]));
  });

  test("bad queries are typed errors", async () => {
    await assert.rejects(query({ mode: "svm" as VectorStoreQueryMode, queryStr: "x" }), InvalidArgumentError);
    await assert.rejects(query({ mode: HybridQueryMode.TEXT_SEARCH }), InvalidArgumentError);
    await assert.rejects(query({ mode: HybridQueryMode.TEXT_SEARCH, queryStr: "   " }), InvalidArgumentError);
    await assert.rejects(query({ queryEmbedding: [1, 2, 3] }), DimensionMismatchError);
    await assert.rejects(query({ queryEmbedding: new Array(384).fill(Number.NaN) }), DimensionMismatchError);
    await assert.rejects(query({}), InvalidArgumentError);
    await assert.rejects(query({ queryStr: "cat", similarityTopK: 0 }), InvalidArgumentError);
    await assert.rejects(query({ queryStr: "cat", mode: HybridQueryMode.MMR, mmrThreshold: -1 }), InvalidArgumentError);
    await assert.rejects(query({ queryStr: "cat", docIds: [1 as unknown as string] }), InvalidArgumentError);
  });
});
