import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { InvalidArgumentError } from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { createPrisma, uniqueLabel } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { gaussian, nearby, randomUnit, rng } from "../helpers/vectors.ts";

// Pages of a search (skip/take) must concatenate to exactly the list one large take returns,
// whatever the plan: the exact scan, HNSW, and HNSW with an iterative scan under a filter.
const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const normal = gaussian(rng(23));
const label = uniqueLabel("page");
const centre = randomUnit(normal);
let documentId = "";
let duplicatesId = "";

async function insert(id: string, vectors: number[][]) {
  await prisma.annotation.createMany({
    data: vectors.map((v, i) => ({
      documentId: id,
      // Words at different frequencies, so text ranks differ and tie in groups.
      rawText: `row ${i} ${"alpha ".repeat(i % 5)}beta${i % 7 === 0 ? " gamma" : ""}`,
      label: i % 3 === 0 ? "kept" : "other",
      page: i,
      ...withEmbedding(v),
    })),
  });
}

before(async () => {
  documentId = (await prisma.document.create({ data: { content: "paging", label } })).id;
  duplicatesId = (await prisma.document.create({ data: { content: "paging duplicates", label } })).id;
  await insert(
    documentId,
    Array.from({ length: 3000 }, () => nearby(centre, normal, 0.6)),
  );
  // Exact duplicates have equal distances: ties broken by id.
  const some = Array.from({ length: 300 }, () => nearby(centre, normal, 0.6));
  await insert(duplicatesId, [...some, ...some.slice(0, 120)]);
});

after(async () => {
  await base.document.deleteMany({ where: { label } });
  await base.$disconnect();
});

const plans = [
  { name: "exact", args: { plan: "exact" as const }, kind: "exact" },
  // Under a filter (documentId is one): an iterative scan.
  { name: "HNSW", args: { plan: "hnsw" as const }, kind: "hnsw-iterative" },
  // ef_search 10: pages past the 10th row come from the iterative scan.
  { name: "HNSW with an explicit ef_search", args: { plan: "hnsw" as const, efSearch: 10 }, kind: "hnsw-iterative" },
  // The auto plan chooses by estimates that do not depend on skip/take.
  { name: "auto", args: {}, kind: undefined },
  // A caller's ef_search of 10 makes HNSW cheaper than an exact scan of one document's 3,000
  // rows, so the auto plan usually walks the index; which plan it takes follows the planner's
  // estimates (other test files' rows and unanalyzed tables move them), so it is not asserted.
  { name: "auto with efSearch 10", args: { efSearch: 10 }, kind: undefined, onlyUnfiltered: true },
];
const filters = [
  { name: "one document", where: {} },
  { name: "a filter keeping a third", where: { label: "kept" } },
];

describe("pages concatenate to one large take", () => {
  for (const plan of plans) {
    for (const filter of filters) {
      test(`${plan.name}, ${filter.name}: pages of 7 and of 60 = take 300`, async () => {
        const where = { ...filter.where, documentId };
        await samePages(where, plan.args, plan.onlyUnfiltered && filter.where.label ? undefined : plan.kind);
      });
    }
  }
  for (const plan of plans.slice(0, 2)) {
    test(`${plan.name}, with duplicate vectors: pages of 7 and of 60 = take 300, ties by id`, async () => {
      await samePages({ documentId: duplicatesId }, plan.args, plan.kind);
      const rows = await prisma.annotation.similaritySearch({
        query: centre,
        where: { documentId: duplicatesId },
        take: 300,
        ...plan.args,
      });
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1]!, rows[i]!];
        if (a.distance === b.distance) assert.ok(a.id < b.id, `equal distances ordered by id at ${i}`);
      }
    });
  }
});

describe("pages by cursor = one large take", () => {
  for (const plan of plans) {
    test(`${plan.name}, a filter keeping a third: cursor pages of 7 = take 300`, async () => {
      await sameCursorPages({ documentId, label: "kept" }, plan.args);
    });
  }
  test("HNSW, with duplicate vectors: cursor pages of 7 = take 300", async () => {
    await sameCursorPages({ documentId: duplicatesId }, { plan: "hnsw" });
  });

  test("the cursor's row comes first; skip counts from it; a row not in the list gives no rows", async () => {
    const query = nearby(centre, normal, 0.6);
    const where = { documentId, label: "kept" };
    const all = await prisma.annotation.similaritySearch({ query, where, take: 30, plan: "exact" });
    const from = await prisma.annotation.similaritySearch({
      query,
      where,
      take: 5,
      cursor: { id: all[10]!.id },
      plan: "exact",
    });
    assert.deepEqual(ids(from), ids(all.slice(10, 15)));
    const after = await prisma.annotation.similaritySearch({
      query,
      where,
      take: 5,
      skip: 3,
      cursor: { id: all[10]!.id },
    });
    assert.deepEqual(ids(after), ids(all.slice(13, 18)));
    const other = await prisma.annotation.findFirstOrThrow({ where: { documentId, label: "other" } });
    for (const p of ["exact", "hnsw"] as const) {
      assert.deepEqual(
        await prisma.annotation.similaritySearch({ query, where, cursor: { id: other.id }, plan: p }),
        [],
      );
    }
  });

  test("a bad cursor is an InvalidArgumentError naming it", async () => {
    for (const cursor of [{}, { id: 5 }, { id: "" }, { id: "x", page: 1 }, "x", null]) {
      await assert.rejects(
        prisma.annotation.similaritySearch({ query: centre, cursor: cursor as never }),
        (e: unknown) => e instanceof InvalidArgumentError && e.issues.some((i) => i.path[0] === "cursor"),
        JSON.stringify(cursor),
      );
    }
  });
});

describe("text and hybrid pages concatenate to one large take", () => {
  const where = () => ({ documentId, label: "kept" });
  test("textSearch: pages of 7 and of 60 = take 300 (ranks tie in groups: ties by id)", async () => {
    const text = (skip: number, take: number) =>
      prisma.annotation.textSearch({ query: "alpha or gamma", where: where(), skip, take });
    await sameSlices(async (skip, take) => ids(await text(skip, take)), 300);
  });
  for (const args of [
    { plan: "exact" as const },
    { plan: "hnsw" as const },
    { plan: "hnsw" as const, candidates: 150 },
  ]) {
    test(`hybridSearch ${JSON.stringify(args)}: pages of 7 and of 60 = one take of the fused list`, async () => {
      const vector = nearby(centre, normal, 0.6);
      const hybrid = (skip: number, take: number) =>
        prisma.annotation.hybridSearch({ query: "alpha or gamma", vector, where: where(), skip, take, ...args });
      const total = (await hybrid(0, 1000)).length;
      assert.ok(total >= (args.candidates ?? 60), `the fused list has at least candidates rows (${total})`);
      await sameSlices(async (skip, take) => ids(await hybrid(skip, take)), total);
      assert.deepEqual(await hybrid(total, 5), [], "past the end of the fused list: no rows");
    });
  }
});

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

async function sameSlices(page: (skip: number, take: number) => Promise<string[]>, total: number) {
  const all = await page(0, total);
  assert.equal(all.length, total);
  assert.equal(new Set(all).size, total, "no duplicates in one take");
  for (const size of [7, 60]) {
    const pages: string[] = [];
    for (let skip = 0; skip < total; skip += size) pages.push(...(await page(skip, Math.min(size, total - skip))));
    assert.deepEqual(pages, all, `pages of ${size}`);
  }
}

async function sameCursorPages(where: object, args: object) {
  const query = nearby(centre, normal, 0.6);
  const search = (take: number, cursor?: string) =>
    prisma.annotation.similaritySearch({
      query,
      where,
      take,
      ...args,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
  const all = ids(await search(TOTAL));
  assert.equal(all.length, TOTAL);
  const pages: string[] = [];
  while (pages.length < TOTAL) pages.push(...ids(await search(Math.min(7, TOTAL - pages.length), pages.at(-1))));
  assert.deepEqual(pages, all);
}

const TOTAL = 300;

async function samePages(where: object, args: object, kind?: string) {
  const query = nearby(centre, normal, 0.6);
  if (kind !== undefined) {
    const { plan } = await prisma.annotation.explainSearch({ query, where, take: TOTAL, ...args });
    assert.equal(plan.kind, kind, "the plan under test ran");
  }
  const ids = async (skip: number, take: number) =>
    (await prisma.annotation.similaritySearch({ query, where, skip, take, ...args })).map((r) => r.id);
  const all = await ids(0, TOTAL);
  assert.equal(all.length, TOTAL);
  assert.equal(new Set(all).size, TOTAL, "no duplicates in one take");
  for (const size of [7, 60]) {
    const pages: string[] = [];
    for (let skip = 0; skip < TOTAL; skip += size) pages.push(...(await ids(skip, Math.min(size, TOTAL - skip))));
    assert.deepEqual(pages, all, `pages of ${size}`);
  }
}
