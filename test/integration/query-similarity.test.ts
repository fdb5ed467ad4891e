import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { DEFAULT_EF_SEARCH } from "../../src/db/hnsw-defaults.ts";
import type { Embedder } from "../../src/embed/embedder.ts";
import { DimensionMismatchError, InvalidArgumentError, InvalidFilterError } from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl, uniqueLabel } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { bruteForce, DIMS, gaussian, nearby, randomUnit, rng } from "../helpers/vectors.ts";

// One pooled connection, so "settings never leak" can be checked on the connection the search used.
const base = new PrismaClient({
  adapter: new PrismaPg({ connectionString: databaseUrl(), max: 1 }),
  log: [{ emit: "event", level: "query" }],
});
let sent = 0;
base.$on("query", () => {
  sent++;
});
let embedCalls = 0;
const tiny = tinyEmbedder();
const counting: Embedder = {
  modelId: tiny.modelId,
  dimensions: tiny.dimensions,
  embed: (texts) => {
    embedCalls++;
    return tiny.embed(texts);
  },
};
const prisma = base.$extends(hybridStore({ embedder: counting }));

const label = uniqueLabel("sim");
const normal = gaussian(rng(7));
let documentId = "";
let rows: { id: string; vector: number[]; page: number }[] = [];
let tieIds: string[] = [];
let nullIds: string[] = [];

before(async () => {
  const doc = await prisma.document.create({ data: { content: "similarity corpus", label } });
  documentId = doc.id;
  const vectors = Array.from({ length: 30 }, () => randomUnit(normal));
  const tie = randomUnit(normal);
  await prisma.annotation.createMany({
    data: [
      ...vectors.map((v, i) => ({ documentId, rawText: `row ${i}`, label, page: i % 5, ...withEmbedding(v) })),
      { documentId, rawText: "tie a", label, page: 9, ...withEmbedding(tie) },
      { documentId, rawText: "tie b", label, page: 9, ...withEmbedding(tie) },
    ],
  });
  // The base client has no save hook: these rows keep a NULL vector.
  await base.annotation.createMany({
    data: [0, 1, 2].map((i) => ({ documentId, rawText: `no vector ${i}`, label, page: 0 })),
  });
  const stored = await base.annotation.findMany({ where: { label }, orderBy: { rawText: "asc" } });
  const byText = new Map(stored.map((r) => [r.rawText, r]));
  rows = vectors.map((vector, i) => ({ id: byText.get(`row ${i}`)!.id, vector, page: i % 5 }));
  tieIds = [byText.get("tie a")!.id, byText.get("tie b")!.id].sort();
  rows.push(...tieIds.map((id) => ({ id, vector: tie, page: 9 })));
  nullIds = stored.filter((r) => r.rawText.startsWith("no vector")).map((r) => r.id);
});

after(async () => {
  await base.document.deleteMany({ where: { label } });
  await base.$disconnect();
});

const within = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

describe("similaritySearch against brute force", () => {
  test("most similar first: order, distances and similarity = 1 - distance match TypeScript", async () => {
    const query = rows[3]!.vector;
    const hits = await prisma.annotation.similaritySearch({ query, where: { label }, take: 32 });
    const truth = bruteForce(rows, query);
    assert.deepEqual(
      hits.map((h) => h.id),
      truth.map((t) => t.id),
    );
    hits.forEach((h, i) => {
      within(h.distance, truth[i]!.distance);
      within(h.similarity, 1 - truth[i]!.distance, 1e-12 + 1e-5);
      assert.equal(h.similarity, 1 - h.distance);
    });
    // The tutorial this replaces sorted by -distance and called the distance "similarity".
    assert.equal(hits[0]!.id, rows[3]!.id, "the row whose vector is the query comes first");
    within(hits[0]!.distance, 0);
    within(hits[0]!.similarity, 1);
    for (let i = 1; i < hits.length; i++) {
      assert.ok(hits[i]!.distance >= hits[i - 1]!.distance, "ascending distance");
      assert.ok(hits[i]!.similarity <= hits[i - 1]!.similarity, "descending similarity");
    }
  });

  test("the query vector reaches the database as its float32 values, in every plan and in hybrid search", async () => {
    const next = rng(31);
    // Values over many magnitudes, so a wrong byte order or precision shows in the distance.
    const query = Array.from({ length: DIMS }, () => (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6));
    // The oracle: pgvector's text input of the same float32 values (shortest digits that read back exactly).
    const text = JSON.stringify(query.map(Math.fround));
    const truth = await base.$queryRawUnsafe<{ id: string; distance: number }[]>(
      `SELECT id, embedding <=> $1::vector AS distance FROM "Annotation" WHERE label = $2 AND embedding IS NOT NULL`,
      text,
      label,
    );
    const expected = new Map(truth.map((r) => [r.id, r.distance]));
    for (const plan of ["exact", "hnsw"] as const) {
      const hits = await prisma.annotation.similaritySearch({ query, where: { label }, take: 10, plan });
      assert.equal(hits.length, 10);
      for (const h of hits) assert.equal(h.distance, expected.get(h.id), `${plan}: row ${h.id}`);
    }
    const fused = await prisma.annotation.hybridSearch({ query: "row", vector: query, where: { label }, take: 10 });
    for (const h of fused) if (h.distance !== null) assert.equal(h.distance, expected.get(h.id), `hybrid: row ${h.id}`);
  });

  test("a query vector float4 cannot hold is rejected before anything is sent", async () => {
    const before = sent;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1e39]) {
      const query = Array.from({ length: DIMS }, (_, i) => (i === 0 ? bad : 1));
      await assert.rejects(prisma.annotation.similaritySearch({ query, take: 1 }), DimensionMismatchError);
    }
    assert.equal(sent, before);
  });
  test("the opposite vector is least similar (similarity near -1, distance near 2)", async () => {
    const query = rows[0]!.vector.map((x) => -x);
    const hits = await prisma.annotation.similaritySearch({ query, where: { label }, take: 32 });
    const last = hits.at(-1)!;
    assert.equal(last.id, rows[0]!.id);
    within(last.distance, 2);
    within(last.similarity, -1);
  });

  test("ties are broken by id, and rows without a vector never appear", async () => {
    const hits = await prisma.annotation.similaritySearch({ query: rows.at(-1)!.vector, where: { label }, take: 100 });
    assert.deepEqual(
      hits.slice(0, 2).map((h) => h.id),
      tieIds,
    );
    assert.equal(hits.length, rows.length);
    for (const id of nullIds) assert.ok(!hits.some((h) => h.id === id));
  });

  test("rows carry every scalar field as findMany returns it, never embeddingPayload", async () => {
    const [hit] = await prisma.annotation.similaritySearch({ query: rows[5]!.vector, where: { label }, take: 1 });
    const { distance, similarity, ...fields } = hit!;
    const { embeddingPayload, ...expected } = (await base.annotation.findUniqueOrThrow({
      where: { id: hit!.id },
    })) as Record<string, unknown>;
    assert.equal(embeddingPayload, null);
    assert.deepEqual(fields, expected);
    assert.ok(!("embedding" in hit!) && !("searchVector" in hit!) && !("embeddingPayload" in hit!));
  });

  test("take / skip paginate the same order", async () => {
    const query = rows[10]!.vector;
    const all = await prisma.annotation.similaritySearch({ query, where: { label }, take: 32 });
    const pages = [];
    for (let skip = 0; skip < 32; skip += 7) {
      pages.push(...(await prisma.annotation.similaritySearch({ query, where: { label }, take: 7, skip })));
    }
    assert.deepEqual(
      pages.map((p) => p.id),
      all.map((a) => a.id),
    );
  });

  test("minSimilarity keeps exactly the rows at or above it", async () => {
    const query = rows[1]!.vector;
    const truth = bruteForce(rows, query).filter((t) => 1 - t.distance >= 0.05);
    assert.ok(truth.length > 1 && truth.length < rows.length);
    const hits = await prisma.annotation.similaritySearch({ query, where: { label }, take: 100, minSimilarity: 0.05 });
    assert.deepEqual(
      hits.map((h) => h.id),
      truth.map((t) => t.id),
    );
  });

  test("a filter on page combines with the vector order", async () => {
    const query = rows[2]!.vector;
    const hits = await prisma.annotation.similaritySearch({ query, where: { label, page: { in: [1, 3] } }, take: 100 });
    const truth = bruteForce(
      rows.filter((r) => r.page === 1 || r.page === 3),
      query,
    );
    assert.deepEqual(
      hits.map((h) => h.id),
      truth.map((t) => t.id),
    );
  });

  test("a string query is embedded with the extension's embedder", async () => {
    const [vector] = await tiny.embed(["cats and dogs"]);
    const byText = await prisma.annotation.similaritySearch({ query: "cats and dogs", where: { label }, take: 5 });
    const byVector = await prisma.annotation.similaritySearch({ query: vector!, where: { label }, take: 5 });
    assert.deepEqual(byText, byVector);
  });

  test("every plan returns the same rows on a small filtered set", async (t) => {
    // Its own 30 rows around one centre: the graph (shared with every row other files left in
    // the table, deleted ones included) can find near neighbours; for random isotropic rows a
    // forced HNSW plan is approximate by design, whatever the table's churn.
    const setLabel = uniqueLabel("sim-set");
    const centre = randomUnit(normal);
    const vectors = Array.from({ length: 30 }, () => nearby(centre, normal, 0.3));
    const setDocument = await base.document.create({ data: { content: "small set", label: setLabel } });
    t.after(() => base.document.deleteMany({ where: { label: setLabel } }));
    await prisma.annotation.createMany({
      data: vectors.map((v, i) => ({
        documentId: setDocument.id,
        rawText: `set ${i}`,
        label: setLabel,
        ...withEmbedding(v),
      })),
    });
    const stored = await base.annotation.findMany({ where: { label: setLabel }, select: { id: true, rawText: true } });
    const byText = new Map(stored.map((r) => [r.rawText, r.id]));
    const set = vectors.map((vector, i) => ({ id: byText.get(`set ${i}`)!, vector, page: 0 }));
    const query = nearby(centre, normal, 0.3);
    const truth = bruteForce(set, query)
      .slice(0, 10)
      .map((t) => t.id);
    for (const args of [
      { plan: "exact" as const },
      { exact: true },
      { plan: "hnsw" as const, efSearch: 200 },
      { plan: "auto" as const },
    ]) {
      const { rows: hits, plan } = await prisma.annotation.explainSearch({
        query,
        where: { label: setLabel },
        take: 10,
        ...args,
      });
      assert.deepEqual(
        hits.map((h) => h.id),
        truth,
        JSON.stringify(plan),
      );
      if (args.plan === "hnsw") assert.equal(plan.kind === "hnsw-iterative" || plan.fellBack, true);
      else assert.equal(plan.kind, "exact");
    }
  });

  test("explainSearch says which plan ran and why", async () => {
    const auto = await prisma.annotation.explainSearch({ query: rows[0]!.vector, where: { label }, take: 3 });
    assert.equal(auto.plan.kind, "exact");
    assert.equal(auto.plan.efSearch, null);
    assert.equal(typeof auto.plan.estimatedRows, "number");
    assert.match(auto.plan.reason, /exact scan/);
    const forced = await prisma.annotation.explainSearch({
      query: rows[0]!.vector,
      where: { label },
      take: 3,
      plan: "hnsw",
    });
    assert.equal(forced.plan.kind, "hnsw-iterative");
    // The default, unless this store has measured the table's recall (then the calibrated value).
    if (forced.plan.recall?.calibratedAt == null) assert.equal(forced.plan.efSearch, DEFAULT_EF_SEARCH.filtered);
    else assert.equal(typeof forced.plan.efSearch, "number");
    assert.equal(forced.plan.fellBack, false);
  });

  test("a search never comes back short: an HNSW plan that finds too few falls back to an exact scan", async () => {
    // ef_search 1 without enough rows near the query: the exact fallback still returns 20 rows.
    const { rows: hits, plan } = await prisma.annotation.explainSearch({
      query: rows[0]!.vector,
      where: { label, page: { in: [0, 1, 2, 3, 4] } },
      take: 30,
      plan: "hnsw",
      efSearch: 1,
    });
    assert.equal(hits.length, 30);
    assert.equal(plan.kind === "exact" ? plan.fellBack : true, true);
  });

  test("pgvector settings stay inside the search's transaction", async () => {
    await prisma.annotation.similaritySearch({
      query: rows[0]!.vector,
      where: { label },
      take: 5,
      plan: "hnsw",
      efSearch: 123,
    });
    const [setting] = await base.$queryRawUnsafe<{ ef: string; scan: string }[]>(
      "SELECT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan",
    );
    assert.deepEqual(setting, { ef: "40", scan: "off" });
  });

  test("inside an interactive transaction (no $transaction on tx) the search runs in it", async () => {
    const [inside, visible] = await prisma.$transaction(async (tx) => {
      const extra = await tx.annotation.create({
        data: { documentId, rawText: "only in this transaction", label, ...withEmbedding(rows[6]!.vector) },
      });
      const { rows: hits, plan } = await tx.annotation.explainSearch({
        query: rows[6]!.vector,
        where: { label },
        take: 2,
        plan: "hnsw",
      });
      const [ef] = await tx.$queryRawUnsafe<{ ef: string }[]>("SELECT current_setting('hnsw.ef_search') AS ef");
      await tx.annotation.delete({ where: { id: extra.id } });
      return [hits.map((h) => h.id).includes(extra.id), [ef!.ef, String(plan.efSearch)]];
    });
    assert.equal(inside, true, "the search sees the transaction's own uncommitted row");
    assert.equal(visible[0], visible[1], "SET LOCAL lasts until the caller's transaction ends");
  });

  test("include and select go through findMany and keep order and scores", async () => {
    const query = rows[8]!.vector;
    const plain = await prisma.annotation.similaritySearch({ query, where: { label }, take: 4 });
    const included = await prisma.annotation.similaritySearch({
      query,
      where: { label },
      take: 4,
      include: { document: true },
    });
    assert.deepEqual(
      included.map((r) => [r.id, r.distance, r.similarity, r.document.id]),
      plain.map((r) => [r.id, r.distance, r.similarity, documentId]),
    );
    assert.ok(!("embeddingPayload" in included[0]!));
    assert.ok(!("embeddingPayload" in included[0]!.document), "related rows lose the write-only field too");
    const nested = await prisma.annotation.similaritySearch({
      query,
      where: { label },
      take: 1,
      select: { id: true, document: { include: { annotations: true } } },
    });
    const nestedDoc = (nested[0] as unknown as { document: { annotations: object[] } }).document;
    assert.ok(!("embeddingPayload" in nestedDoc));
    assert.ok(nestedDoc.annotations.length > 0 && nestedDoc.annotations.every((a) => !("embeddingPayload" in a)));
    const selected = await prisma.annotation.similaritySearch({
      query,
      where: { label },
      take: 4,
      select: { rawText: true },
    });
    assert.deepEqual(
      selected,
      plain.map((r) => ({ rawText: r.rawText, distance: r.distance, similarity: r.similarity })),
    );
    const docs = await prisma.document.similaritySearch({
      query: "similarity corpus",
      where: { label },
      include: { annotations: true },
    });
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.annotations.length, rows.length + nullIds.length);
    assert.ok(docs[0]!.annotations.every((a) => !("embeddingPayload" in a)));
  });
});

/** Lets a test pass arguments the types forbid, as a JavaScript caller could. */
const untyped = (args: object) => args as { query: string };

describe("bad arguments send nothing to the database and embed nothing", () => {
  const bad: [string, () => Promise<unknown>, new (...args: never[]) => Error][] = [
    ["empty query", () => prisma.annotation.similaritySearch({ query: "", where: { label } }), InvalidArgumentError],
    ["blank query", () => prisma.annotation.similaritySearch({ query: "  \n" }), InvalidArgumentError],
    ["short vector", () => prisma.annotation.similaritySearch({ query: [1, 2, 3] }), DimensionMismatchError],
    [
      "NaN in vector",
      () => prisma.annotation.similaritySearch({ query: new Array(DIMS).fill(Number.NaN) }),
      DimensionMismatchError,
    ],
    [
      "Infinity in vector",
      () => prisma.annotation.similaritySearch({ query: [Number.POSITIVE_INFINITY, ...new Array(DIMS - 1).fill(0)] }),
      DimensionMismatchError,
    ],
    ["zero vector", () => prisma.annotation.similaritySearch({ query: new Array(DIMS).fill(0) }), InvalidArgumentError],
    ["take 0", () => prisma.annotation.similaritySearch({ query: "x", take: 0 }), InvalidArgumentError],
    ["take 2.5", () => prisma.annotation.similaritySearch({ query: "x", take: 2.5 }), InvalidArgumentError],
    ["take over the cap", () => prisma.annotation.similaritySearch({ query: "x", take: 1001 }), InvalidArgumentError],
    ["negative skip", () => prisma.annotation.similaritySearch({ query: "x", skip: -1 }), InvalidArgumentError],
    [
      "minSimilarity 2",
      () => prisma.annotation.similaritySearch({ query: "x", minSimilarity: 2 }),
      InvalidArgumentError,
    ],
    [
      "exact with hnsw",
      () => prisma.annotation.similaritySearch({ query: "x", exact: true, plan: "hnsw" }),
      InvalidArgumentError,
    ],
    // Arguments the types reject (checked in test/unit/query-types.test.ts) must fail at run time too.
    [
      "unknown argument",
      () => prisma.annotation.similaritySearch(untyped({ query: "x", limit: 3 })),
      InvalidArgumentError,
    ],
    [
      "wrong filter type",
      () => prisma.annotation.similaritySearch(untyped({ query: "x", where: { page: { gte: "2" } } })),
      InvalidFilterError,
    ],
    [
      "unknown filter field",
      () => prisma.annotation.similaritySearch(untyped({ query: "x", where: { "label; --": "x" } })),
      InvalidFilterError,
    ],
    ["text: blank", () => prisma.document.textSearch({ query: " " }), InvalidArgumentError],
    ["hybrid: bad vector", () => prisma.annotation.hybridSearch({ query: "x", vector: [1] }), DimensionMismatchError],
    [
      "hybrid: bad fusion",
      () => prisma.annotation.hybridSearch(untyped({ query: "x", fusion: { type: "max" } })),
      InvalidArgumentError,
    ],
    [
      "hybrid: exact with hnsw",
      () => prisma.annotation.hybridSearch({ query: "x", exact: true, plan: "hnsw" }),
      InvalidArgumentError,
    ],
  ];
  for (const [name, call, type] of bad) {
    test(name, async () => {
      const [queriesBefore, embedsBefore] = [sent, embedCalls];
      await assert.rejects(call(), type);
      assert.equal(sent, queriesBefore, "no query sent");
      assert.equal(embedCalls, embedsBefore, "nothing embedded");
    });
  }

  test("the counters do see a good search", async () => {
    const before = sent;
    await prisma.annotation.similaritySearch({ query: "fresh words never embedded", where: { label }, take: 1 });
    assert.ok(sent > before);
  });
});
