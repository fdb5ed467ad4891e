import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
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
      rawText: `row ${i}`,
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
  { name: "HNSW", args: { plan: "hnsw" as const }, kind: "hnsw" },
  // ef_search 10: pages past the 10th row come from the iterative scan.
  { name: "HNSW with an explicit ef_search", args: { plan: "hnsw" as const, efSearch: 10 }, kind: "hnsw" },
  // The auto plan chooses by estimates that do not depend on skip/take.
  { name: "auto", args: {}, kind: undefined },
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
        const kind = plan.kind === "hnsw" ? "hnsw-iterative" : plan.kind; // documentId is a filter too
        await samePages(where, plan.args, kind);
      });
    }
  }
  test("exact, with duplicate vectors: pages of 7 and of 60 = take 300, ties by id", async () => {
    await samePages({ documentId: duplicatesId }, { plan: "exact" });
  });
});

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
