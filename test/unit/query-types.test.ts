import assert from "node:assert/strict";
import { test } from "node:test";
import { hybridStore } from "../../src/extension.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import type { OnVector, VectorFieldName } from "../../src/query/search-types.ts";
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

  // One marked vector: vectorField is optional and names it.
  await prisma.annotation.similaritySearch({ query: "x", vectorField: "embedding" });
  await prisma.document.hybridSearch({ query: "x", vectorField: "embedding" });
  // @ts-expect-error not a vector field of Annotation
  await prisma.annotation.similaritySearch({ query: "x", vectorField: "rawText" });
}

// A delegate whose fields show two payloads (two marked vectors), and one showing one.
type Two = { fields: { id: unknown; titleVectorPayload: unknown; bodyVectorPayload: unknown } };
type One = { fields: { id: unknown; embeddingPayload: unknown } };
expectType<Equal<VectorFieldName<Two>, "titleVector" | "bodyVector">>(true);
expectType<Equal<VectorFieldName<One>, "embedding">>(true);
expectType<Equal<VectorFieldName<{ other: 1 }>, string>>(true);
// Several vectors: an argument without vectorField must get one; one that has it stays as it is.
expectType<Equal<OnVector<Two, { query: string }>, { query: string } & { vectorField: "titleVector" | "bodyVector" }>>(
  true,
);
expectType<
  Equal<OnVector<Two, { query: string; vectorField: "bodyVector" }>, { query: string; vectorField: "bodyVector" }>
>(true);
expectType<Equal<OnVector<One, { query: string }>, { query: string }>>(true);

test("search method types come from the generated client (checked by tsc)", () => {
  assert.equal(typeof typeChecks, "function");
});
