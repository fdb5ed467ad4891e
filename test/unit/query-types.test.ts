import assert from "node:assert/strict";
import { test } from "node:test";
import { hybridStore } from "../../src/extension.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { tinyEmbedder } from "../helpers/store.ts";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T) => {};

// Compile-time only: the function is type-checked by `tsc` and never called.
async function typeChecks(base: PrismaClient) {
  const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));

  const hits = await prisma.annotation.similaritySearch({ query: "cats", where: { page: { gte: 2 } }, take: 5 });
  const first = hits[0]!;
  expectType<Equal<typeof first.distance, number>>(true);
  expectType<Equal<typeof first.similarity, number>>(true);
  expectType<Equal<typeof first.page, number | null>>(true);
  expectType<Equal<typeof first.rawText, string>>(true);
  // @ts-expect-error the write-only payload is not part of a search row
  first.embeddingPayload;

  const withDoc = await prisma.annotation.similaritySearch({ query: [0.1], include: { document: true } });
  const doc = withDoc[0]!.document;
  expectType<Equal<typeof doc.content, string>>(true);

  const selected = await prisma.document.similaritySearch({ query: "x", select: { title: true } });
  expectType<Equal<keyof (typeof selected)[number], "title" | "distance" | "similarity">>(true);

  const text = await prisma.document.textSearch({ query: "cats", where: { label: "x" } });
  expectType<Equal<(typeof text)[number]["rank"], number>>(true);

  const hybrid = await prisma.annotation.hybridSearch({ query: "cats", fusion: { type: "weighted", alpha: 0.3 } });
  expectType<Equal<(typeof hybrid)[number]["textRank"], number | null>>(true);
  expectType<Equal<(typeof hybrid)[number]["score"], number>>(true);

  const { plan } = await prisma.annotation.explainSearch({ query: "cats" });
  expectType<Equal<typeof plan.kind, "exact" | "hnsw" | "hnsw-iterative">>(true);

  // @ts-expect-error page is an Int: Prisma's own WhereInput rejects a string
  await prisma.annotation.similaritySearch({ query: "x", where: { page: { gte: "2" } } });
  // @ts-expect-error unknown field
  await prisma.annotation.similaritySearch({ query: "x", where: { nope: 1 } });
  // @ts-expect-error unknown argument
  await prisma.annotation.similaritySearch({ query: "x", limit: 3 });
  // @ts-expect-error query is required
  await prisma.document.textSearch({ take: 3 });
  // relation filters are typed too
  await prisma.annotation.similaritySearch({ query: "x", where: { document: { is: { label: "contract" } } } });
  await prisma.document.similaritySearch({ query: "x", where: { annotations: { some: { page: 1 } } } });
}

test("search method types come from the generated client (checked by tsc)", () => {
  assert.equal(typeof typeChecks, "function");
});
