import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hybridStore } from "../../src/extension.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const label = uniqueLabel("txt");

const TEXTS = [
  "The quick brown fox jumps over the lazy dog",
  "A fox in the forest",
  "Foxes and dogs are friends",
  "Cats sleep all day long",
  "The dog barks at the fox and the fox runs away from the dog",
  "Nothing relevant here at all",
  "A red fox, a grey fox, a fennec fox",
  "Lazy afternoons with a sleeping cat",
];

before(async () => {
  const doc = await prisma.document.create({
    data: {
      content: "A document about animals",
      title: "Fox handbook",
      label,
      annotations: { create: TEXTS.map((rawText, i) => ({ rawText, label, page: i % 3 })) },
    },
  });
  assert.ok(doc.id);
});

after(async () => {
  await base.document.deleteMany({ where: { label } });
  await base.$disconnect();
});

/** The database's own ranking, queried directly: the oracle for textSearch. */
async function oracle(query: string, extra = "") {
  return withPg(async (pg) => {
    const { rows } = await pg.query(
      `select id, ts_rank_cd("searchVector", websearch_to_tsquery('english', $1)) as rank from "Annotation"
       where label = $2 and "searchVector" @@ websearch_to_tsquery('english', $1) ${extra}
       order by rank desc, id`,
      [query, label],
    );
    return rows as { id: string; rank: number }[];
  });
}

describe("textSearch", () => {
  test("matches and ranks like ts_rank_cd, best first, ties by id", async () => {
    const hits = await prisma.annotation.textSearch({ query: "fox", where: { label }, take: 100 });
    const expected = await oracle("fox");
    assert.ok(expected.length >= 5);
    assert.deepEqual(
      hits.map((h) => [h.id, h.rank]),
      expected.map((e) => [e.id, e.rank]),
    );
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i]!.rank <= hits[i - 1]!.rank);
    assert.match(hits[0]!.rawText, /fox.*fox/i, "more occurrences rank higher");
  });

  test("web-search syntax: stemming, exclusion, phrases", async () => {
    const texts = async (query: string) =>
      (await prisma.annotation.textSearch({ query, where: { label }, take: 100 })).map((h) => h.rawText).sort();
    assert.ok((await texts("foxes")).includes("A fox in the forest"), "stemmed");
    assert.deepEqual(await texts("fox -dog"), ["A fox in the forest", "A red fox, a grey fox, a fennec fox"]);
    assert.deepEqual(await texts('"lazy dog"'), ["The quick brown fox jumps over the lazy dog"]);
    const either = await prisma.annotation.textSearch({ query: "cat or dog", where: { label }, take: 100 });
    assert.deepEqual(
      either.map((h) => h.id),
      (await oracle("cat or dog")).map((o) => o.id),
    );
    assert.deepEqual(await texts("the"), [], "stop words only: no match, no error");
    assert.deepEqual(await texts("zebra"), []);
  });

  test("filter, take and skip", async () => {
    const filtered = await prisma.annotation.textSearch({ query: "fox", where: { label, page: 1 }, take: 100 });
    assert.deepEqual(
      filtered.map((h) => h.id),
      (await oracle("fox", "and page = 1")).map((o) => o.id),
    );
    const all = await prisma.annotation.textSearch({ query: "fox", where: { label }, take: 100 });
    const page2 = await prisma.annotation.textSearch({ query: "fox", where: { label }, take: 2, skip: 2 });
    assert.deepEqual(
      page2.map((h) => h.id),
      all.slice(2, 4).map((h) => h.id),
    );
  });

  test("Document search covers the title", async () => {
    const hits = await prisma.document.textSearch({ query: "handbook", where: { label } });
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.title, "Fox handbook");
  });
});

describe("hybridSearch", () => {
  /** The two ranked lists hybridSearch fuses, fetched on their own. */
  async function lists(query: string, candidates = 100) {
    const vector = await prisma.annotation.similaritySearch({
      query,
      where: { label },
      take: candidates,
      plan: "exact",
    });
    const text = await prisma.annotation.textSearch({ query, where: { label }, take: candidates });
    return { vector: vector.map((v) => v.id), text, similarity: new Map(vector.map((v) => [v.id, v.similarity])) };
  }

  test("RRF: ranks match the two lists, score = sum of 1 / (60 + rank), best first", async () => {
    const { vector, text } = await lists("lazy fox");
    const hits = await prisma.annotation.hybridSearch({
      query: "lazy fox",
      where: { label },
      take: 100,
      candidates: 100,
    });
    const union = new Set([...vector, ...text.map((t) => t.id)]);
    assert.deepEqual(new Set(hits.map((h) => h.id)), union);
    for (const h of hits) {
      const v = vector.indexOf(h.id);
      const t = text.findIndex((x) => x.id === h.id);
      assert.equal(h.vectorRank, v === -1 ? null : v + 1, `vectorRank of ${h.rawText}`);
      assert.equal(h.textRank, t === -1 ? null : t + 1, `textRank of ${h.rawText}`);
      const expected = (v === -1 ? 0 : 1 / (61 + v)) + (t === -1 ? 0 : 1 / (61 + t));
      assert.ok(Math.abs(h.score - expected) < 1e-12);
      assert.equal(h.textScore, t === -1 ? null : text[t]!.rank);
      assert.equal(h.similarity, h.distance === null ? null : 1 - h.distance);
    }
    for (let i = 1; i < hits.length; i++) {
      const [a, b] = [hits[i - 1]!, hits[i]!];
      assert.ok(a.score > b.score || (a.score === b.score && a.id < b.id), "score desc, then id");
    }
    assert.equal(hits[0]!.vectorRank !== null && hits[0]!.textRank !== null, true, "a row in both lists wins");
  });

  test("candidates bounds each list", async () => {
    const { vector, text } = await lists("fox", 3);
    const hits = await prisma.annotation.hybridSearch({ query: "fox", where: { label }, take: 2, candidates: 3 });
    assert.equal(hits.length, 2);
    const union = new Set([...vector, ...text.map((t) => t.id)]);
    for (const h of hits) {
      assert.ok(union.has(h.id));
      assert.ok((h.vectorRank ?? 0) <= 3 && (h.textRank ?? 0) <= 3);
    }
  });

  test("a row from one list carries its real value from the other, on every page", async () => {
    // Lists of 2, so fused rows come from one list only: each one's distance and text score are
    // checked against the row's own in full similarity and text searches.
    const seen = { textOnly: 0, vectorOnlyMatching: 0 };
    for (const query of ["fox", "lazy dog", "sleeping cat", "fox dog"]) {
      const { vector: order, text } = await lists(query);
      const all = await prisma.annotation.similaritySearch({ query, where: { label }, take: 100, plan: "exact" });
      const distance = new Map(all.map((v) => [v.id, v.distance]));
      const rank = new Map(text.map((t) => [t.id, t.rank]));
      const fused = await prisma.annotation.hybridSearch({ query, where: { label }, take: 8, candidates: 2 });
      const pages = [];
      for (let skip = 0; skip < 8; skip += 3) {
        pages.push(
          ...(await prisma.annotation.hybridSearch({ query, where: { label }, skip, take: 3, candidates: 2 })),
        );
      }
      assert.deepEqual(
        pages.map((h) => h.id),
        fused.map((h) => h.id),
        `${query}: pages of 3 concatenate to one take of 8`,
      );
      for (const h of fused) {
        const v = order.indexOf(h.id);
        assert.equal(h.vectorRank, v >= 0 && v < 2 ? v + 1 : null, `${query}: vectorRank of ${h.rawText}`);
        assert.equal(h.distance, distance.get(h.id), `${query}: distance of ${h.rawText}`);
        assert.equal(h.textScore, rank.get(h.id) ?? null, `${query}: textScore of ${h.rawText}`);
        if (h.vectorRank === null) seen.textOnly++;
        if (h.textRank === null && h.textScore !== null) seen.vectorOnlyMatching++;
      }
    }
    assert.ok(seen.textOnly > 0 && seen.vectorOnlyMatching > 0, JSON.stringify(seen));
  });

  test("RRF k changes the scores", async () => {
    const [hit] = await prisma.annotation.hybridSearch({
      query: "fox",
      where: { label },
      take: 1,
      fusion: { type: "rrf", k: 1 },
    });
    const expected = (hit!.vectorRank ? 1 / (1 + hit!.vectorRank) : 0) + (hit!.textRank ? 1 / (1 + hit!.textRank) : 0);
    assert.ok(Math.abs(hit!.score - expected) < 1e-12);
  });

  test("weighted: alpha * similarity + (1 - alpha) * rank / best rank", async () => {
    const { text } = await lists("sleeping cat");
    const best = Math.max(...text.map((t) => t.rank));
    const hits = await prisma.annotation.hybridSearch({
      query: "sleeping cat",
      where: { label },
      take: 100,
      fusion: { type: "weighted", alpha: 0.3 },
    });
    for (const h of hits) {
      const expected = 0.3 * (h.similarity ?? 0) + 0.7 * ((h.textScore ?? 0) / best);
      assert.ok(Math.abs(h.score - expected) < 1e-6, `${h.score} vs ${expected}`);
    }
    const vectorOnly = await prisma.annotation.hybridSearch({
      query: "sleeping cat",
      where: { label },
      take: 3,
      fusion: { type: "weighted", alpha: 1 },
    });
    const { vector } = await lists("sleeping cat");
    assert.deepEqual(
      vectorOnly.map((h) => h.id),
      vector.slice(0, 3),
    );
  });

  test("filters apply to both lists; a given vector replaces the embedded one", async () => {
    const hits = await prisma.annotation.hybridSearch({ query: "fox", where: { label, page: 2 }, take: 100 });
    const pages = await base.annotation.findMany({
      where: { id: { in: hits.map((h) => h.id) } },
      select: { page: true },
    });
    assert.ok(pages.length > 0 && pages.every((p) => p.page === 2));
    const [vector] = await tinyEmbedder().embed(["cats"]);
    const byVector = await prisma.annotation.hybridSearch({
      query: "fox",
      vector: vector!,
      where: { label },
      take: 100,
    });
    const byText = await prisma.annotation.similaritySearch({ query: "cats", where: { label }, take: 1 });
    assert.equal(byVector.find((h) => h.vectorRank === 1)!.id, byText[0]!.id);
  });

  test("include works and the plan choice applies to the vector list", async () => {
    const hits = await prisma.annotation.hybridSearch({
      query: "fox",
      where: { label },
      take: 3,
      include: { document: true },
      plan: "hnsw",
    });
    assert.equal(hits.length, 3);
    assert.equal(hits[0]!.document.title, "Fox handbook");
  });
});
