import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { gaussian, randomUnit, rng } from "../helpers/vectors.ts";

const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const normal = gaussian(rng(11));
const vec = () => randomUnit(normal);
const run = uniqueLabel("flt");
const HOSTILE = `x'; DROP TABLE "Document"; --`;

const docIds: string[] = [];
let annIds: string[] = [];
const query = vec();

before(async () => {
  const docs = [
    {
      title: "Alpha Contract",
      metadata: { kind: "contract", n: 9, tags: ["x", "y"], nested: { a: { b: 5 } }, s: "Hello World", flag: true },
    },
    { title: null, metadata: { kind: "memo", n: 10, tags: "x", s: "50% off_sale", nested: { a: { b: "5" } } } },
    {
      title: "beta memo",
      metadata: { kind: "contract", n: 2.5, tags: ["y"], empty: null, s: 123, "we'ird\"key": "v" },
    },
    { title: "ABC%", metadata: {} },
  ];
  for (const [i, d] of docs.entries()) {
    const doc = await prisma.document.create({
      data: { content: `document ${i}`, label: run, title: d.title, metadata: d.metadata, ...withEmbedding(vec()) },
    });
    docIds.push(doc.id);
  }
  const anns = [
    { d: 0, rawText: "The cat sat", label: "a", page: 1, position: 1, metadata: { lang: "en", score: 0.5 } },
    { d: 0, rawText: "CATALOG entry", label: "B", page: 2, position: null, metadata: { lang: "de" } },
    { d: 0, rawText: "dog days", label: null, page: null, position: 2, metadata: {} },
    { d: 1, rawText: "50% off", label: "b_c", page: 3, position: 3, metadata: { lang: "en", tags: ["p"] } },
    { d: 1, rawText: "under_score", label: "50%", page: 4, position: null, metadata: { score: 2 } },
    { d: 1, rawText: "back\\slash", label: "b", page: 5, position: 5, metadata: { lang: "EN" } },
    { d: 2, rawText: "cat nap", label: "a", page: 2, position: null, metadata: { score: 10 } },
    { d: 2, rawText: HOSTILE, label: HOSTILE, page: null, position: 1, metadata: { [HOSTILE]: HOSTILE } },
  ];
  await prisma.annotation.createMany({
    data: anns.map(({ d, ...a }) => ({ ...a, documentId: docIds[d]!, ...withEmbedding(vec()) })),
  });
  annIds = (await base.annotation.findMany({ where: { documentId: { in: docIds } }, select: { id: true } })).map(
    (a) => a.id,
  );
});

after(async () => {
  await base.document.deleteMany({ where: { label: run } });
  await base.$disconnect();
});

const sorted = (ids: string[]) => [...ids].sort();

async function searchIds(model: "annotation" | "document", where: object): Promise<string[]> {
  const scope = model === "annotation" ? { documentId: { in: docIds } } : { id: { in: docIds } };
  const hits =
    model === "annotation"
      ? await prisma.annotation.similaritySearch({ query, where: { AND: [scope, where] }, take: 1000 })
      : await prisma.document.similaritySearch({ query, where: { AND: [scope, where] }, take: 1000 });
  return sorted(hits.map((h) => h.id));
}

async function prismaIds(model: "annotation" | "document", where: object): Promise<string[]> {
  const rows =
    model === "annotation"
      ? await base.annotation.findMany({
          where: { AND: [{ documentId: { in: docIds } }, where] },
          select: { id: true },
        })
      : await base.document.findMany({ where: { AND: [{ id: { in: docIds } }, where] }, select: { id: true } });
  return sorted(rows.map((r) => r.id));
}

const now = new Date();
const ANNOTATION_CASES: object[] = [
  { label: "a" },
  { label: null },
  { label: { not: "a" } },
  { label: { not: null } },
  { label: { equals: null } },
  { label: { in: ["a", "B"] } },
  { label: { notIn: ["a"] } },
  { label: { in: [] } },
  { label: { notIn: [] } },
  { label: { not: { in: ["a", "b"] } } },
  { page: 2 },
  { page: { gt: 2 } },
  { page: { gte: 2, lte: 4 } },
  { page: { lt: 3 } },
  { page: { gt: 2.5 } },
  { page: { not: { gt: 2 } } },
  { page: { in: [1, 5] }, position: null },
  { position: { not: null } },
  { rawText: { contains: "cat" } },
  { rawText: { startsWith: "CAT" } },
  { rawText: { endsWith: "days" } },
  { rawText: { contains: "CAT", mode: "insensitive" } },
  { rawText: { startsWith: "cat", mode: "insensitive" } },
  { rawText: { endsWith: "NAP", mode: "insensitive" } },
  { label: { equals: "b", mode: "insensitive" } },
  { label: { in: ["A"], mode: "insensitive" } },
  { label: { gt: "a", mode: "insensitive" } },
  { label: { lte: "a" } },
  { AND: [{ page: { gte: 1 } }, { label: "a" }] },
  { AND: { page: 2 } },
  { OR: [{ label: "a" }, { page: { gte: 4 } }] },
  { NOT: { label: "a" } },
  { NOT: [{ label: "a" }, { page: 1 }] },
  { NOT: { OR: [{ label: null }, { page: { lt: 3 } }] } },
  { AND: [] },
  { NOT: [] },
  { NOT: {} },
  { NOT: { label: undefined } },
  { NOT: [{ label: undefined }, { label: "a" }] },
  { label: undefined },
  { document: { title: { contains: "Contract" } } },
  { document: { is: { title: null } } },
  { document: { isNot: { title: "beta memo" } } },
  { document: { is: { metadata: { path: ["kind"], equals: "contract" } } } },
  { document: { isNot: { metadata: { path: ["kind"], equals: "contract" } } } },
  { createdAt: { lte: now } },
  { createdAt: { gt: new Date(now.getTime() + 3_600_000).toISOString() } },
  { metadata: { path: ["lang"], equals: "en" } },
  { metadata: { path: ["lang"], string_contains: "N", mode: "insensitive" } },
  { metadata: { path: ["score"], gte: 2 } },
  { metadata: { path: ["score"], lt: 2 } },
  { metadata: { path: ["tags"], array_contains: ["p"] } },
  { label: HOSTILE },
  { metadata: { path: [HOSTILE], equals: HOSTILE } },
];

const DOCUMENT_CASES: object[] = [
  { title: null },
  { title: { not: null } },
  { annotations: { some: { page: { gte: 3 } } } },
  { annotations: { every: { page: { gt: 1 } } } },
  { annotations: { none: { label: "a" } } },
  { annotations: { some: {} } },
  { annotations: { none: {} } },
  { annotations: { every: {} } },
  { annotations: { some: { document: { title: "beta memo" } } } },
  { metadata: { path: ["kind"], equals: "contract" } },
  { metadata: { path: ["kind"], not: "contract" } },
  { metadata: { path: ["n"], gt: 9 } },
  { metadata: { path: ["n"], gte: 2.5 } },
  { metadata: { path: ["n"], lt: 10 } },
  { metadata: { path: ["n"], equals: 10 } },
  { metadata: { path: ["nested", "a", "b"], equals: 5 } },
  { metadata: { path: ["nested", "a", "b"], equals: "5" } },
  { metadata: { path: ["nested"], equals: { a: { b: 5 } } } },
  { metadata: { path: ["tags"], array_contains: "x" } },
  { metadata: { path: ["tags"], array_contains: ["y", "x"] } },
  { metadata: { path: ["tags"], array_starts_with: "x" } },
  { metadata: { path: ["tags"], array_ends_with: "y" } },
  { metadata: { path: ["tags", "0"], equals: "x" } },
  { metadata: { path: ["s"], string_contains: "World" } },
  { metadata: { path: ["s"], string_starts_with: "hel", mode: "insensitive" } },
  { metadata: { path: ["s"], string_ends_with: "sale" } },
  { metadata: { path: ["s"], equals: 123 } },
  { metadata: { path: ["flag"], equals: true } },
  { metadata: { path: ["empty"], equals: null } },
  { metadata: { path: ["we'ird\"key"], equals: "v" } },
  { metadata: { equals: {} } },
  { metadata: { path: ["kind"], equals: "contract" }, title: { startsWith: "beta" } },
];

describe("every filter runs for real and matches Prisma's own findMany", () => {
  for (const where of ANNOTATION_CASES) {
    test(`annotation ${JSON.stringify(where)}`, async () => {
      assert.deepEqual(await searchIds("annotation", where), await prismaIds("annotation", where));
    });
  }
  for (const where of DOCUMENT_CASES) {
    test(`document ${JSON.stringify(where)}`, async () => {
      assert.deepEqual(await searchIds("document", where), await prismaIds("document", where));
    });
  }

  test("the cases are not trivial: each one's result differs from some other's", async () => {
    const results = new Set<string>();
    for (const where of ANNOTATION_CASES) results.add((await searchIds("annotation", where)).join());
    assert.ok(results.size >= 15, `only ${results.size} distinct results`);
    assert.ok(results.has(""), "some filter matches nothing");
    assert.ok(results.has(sorted(annIds).join()), "some filter matches everything");
  });
});

describe("where this library differs from Prisma 6.19, and where it follows it", () => {
  const texts = async (where: object) => {
    const hits = await prisma.annotation.similaritySearch({
      query,
      where: { AND: [{ documentId: { in: docIds } }, where] },
      take: 100,
    });
    return hits.map((h) => h.rawText).sort();
  };

  test("LIKE wildcards in contains/startsWith/endsWith match themselves", async () => {
    assert.deepEqual(await texts({ rawText: { contains: "%" } }), ["50% off"]);
    assert.deepEqual(await texts({ rawText: { contains: "_" } }), ["under_score"]);
    assert.deepEqual(await texts({ rawText: { contains: "\\" } }), ["back\\slash"]);
    assert.deepEqual(await texts({ label: { startsWith: "b_" } }), ["50% off"]);
    assert.deepEqual(await texts({ rawText: { startsWith: "%", mode: "insensitive" } }), []);
    // Prisma sends the pattern unescaped: "%" matches every row.
    assert.equal((await prismaIds("annotation", { rawText: { contains: "%" } })).length, annIds.length);
  });

  test("insensitive equality is equality, not ILIKE", async () => {
    assert.deepEqual(await texts({ label: { equals: "B_C", mode: "insensitive" } }), ["50% off"]);
    assert.deepEqual(await texts({ label: { equals: "B%", mode: "insensitive" } }), []);
    assert.equal((await prismaIds("annotation", { label: { equals: "B%", mode: "insensitive" } })).length, 3);
  });

  test("JSON string operators escape wildcards too", async () => {
    const hits = await prisma.document.similaritySearch({
      query,
      where: { id: { in: docIds }, metadata: { path: ["s"], string_contains: "%" } },
    });
    assert.deepEqual(
      hits.map((h) => h.id),
      [docIds[1]],
    );
  });

  test("an empty object in OR is dropped, as Prisma 6.19 drops it (prisma/orm#23873)", async () => {
    const where = { OR: [{ label: "a" }, {}] };
    assert.equal((await texts(where)).length, 2);
    assert.equal((await prismaIds("annotation", where)).length, 2);
  });

  test("an empty OR beside other filters is dropped, as Prisma 6.19 drops it", async () => {
    for (const where of [{ OR: [] }, { OR: [], label: "a" }, { NOT: { OR: [] } }]) {
      assert.equal((await texts(where)).length, (await prismaIds("annotation", where)).length, JSON.stringify(where));
    }
    assert.equal((await texts({ OR: [], label: "a" })).length, 2);
  });
});

describe("hostile values are data", () => {
  test("a label full of SQL finds exactly its row, and every table is still there", async () => {
    const hits = await prisma.annotation.similaritySearch({ query, where: { label: HOSTILE } });
    assert.deepEqual(
      hits.map((h) => h.rawText),
      [HOSTILE],
    );
    const textHits = await prisma.annotation.textSearch({ query: "drop table", where: { label: HOSTILE } });
    assert.equal(textHits.length, 1);
    await withPg(async (pg) => {
      const { rows } = await pg.query(`select count(*)::int as n from "Document" where label = $1`, [run]);
      assert.equal(rows[0].n, 4);
    });
  });
});
