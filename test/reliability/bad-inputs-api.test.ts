/**
 * Issue #8, bad inputs through the public API (`hybridStore()` writes and searches): every case
 * either fails with a typed error or, when the input is data rather than an attack, succeeds
 * and stores or finds exactly what it was given. Either way the database is compared before
 * and after (see snapshot.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { DimensionMismatchError, InvalidArgumentError, InvalidFilterError, QueryError } from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { Prisma } from "../../src/generated/prisma/client.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { type BadInput, type Created, fails, runCases } from "./cases.ts";

const base = createPrisma();
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const label = uniqueLabel("bad-api");

/** A value, a JSON key and a JSON value that are all SQL; the fixture stores them as data. */
const HOSTILE = `x'; DROP TABLE "Annotation"; --`;
/** A field name that tries to close the quoted identifier. */
const HOSTILE_FIELD = `label" = '' OR 1=1; --`;
const HOSTILE_KEY = `a') OR 1=1; DELETE FROM "Document"; --`;
const MB = 1_000_000;

const vector = (length: number, fill = 0.1) => new Array<number>(length).fill(fill);
/** A text of `words` different words: its full-text query has that many terms. */
const manyWords = (words: number) => Array.from({ length: words }, (_, i) => `w${i.toString(36)}`).join(" ");
/** `chars` characters of words that are all different, so the tsvector keeps every one. */
const distinctWords = (chars: number) =>
  Array.from({ length: chars / 5 }, (_, i) => `w${i.toString(36)}x`)
    .join(" ")
    .slice(0, chars);

/** `{ AND: [{ AND: [... { label } ...] }] }`, `depth` levels deep. */
function nestedWhere(depth: number): object {
  let where: object = { label };
  for (let i = 0; i < depth; i++) where = { AND: [where] };
  return where;
}

/** An object that refers to itself under `key`. */
function cyclic<T extends object>(value: T, key: string): T {
  (value as Record<string, unknown>)[key] = value;
  return value;
}

let documentId = "";
let hostileId = "";

before(async () => {
  const doc = await prisma.document.create({
    data: {
      content: "The fixture document of the bad-input suite.",
      label,
      annotations: {
        create: [
          { rawText: "Rent is due on the first day of the month.", label, page: 1, metadata: { kind: "plain" } },
          { rawText: "100% of the deposit_is returned.", label, page: 2, metadata: { kind: "percent" } },
          { rawText: HOSTILE, label: HOSTILE, page: 3, metadata: { [HOSTILE_KEY]: HOSTILE } },
        ],
      },
    },
    include: { annotations: true },
  });
  documentId = doc.id;
  hostileId = doc.annotations.find((a) => a.rawText === HOSTILE)!.id;
});

after(async () => {
  await base.document.deleteMany({ where: { id: documentId } });
  await base.$disconnect();
});

/** The stored text and whether it has a vector, read around the library. */
async function stored(table: "Document" | "Annotation", id: string) {
  return withPg(async (pg) => {
    const { rows } = await pg.query<{ text: string; embedded: boolean }>(
      `SELECT ${table === "Document" ? "content" : `"rawText"`} AS text, embedding IS NOT NULL AS embedded
         FROM "${table}" WHERE id = $1`,
      [id],
    );
    return rows[0];
  });
}

/** A write that must store exactly `text`, with a vector; the row is deleted again by the runner. */
const storesExactly =
  (text: string) =>
  async (result: unknown): Promise<Created> => {
    const doc = result as { id: string };
    const row = await stored("Document", doc.id);
    assert.ok(row, "the row was written");
    assert.equal(row.text.length, text.length);
    assert.ok(row.text === text, "the stored text is exactly the text given");
    assert.equal(row.embedded, true, "the row has its vector");
    return { table: "Document", ids: [doc.id] };
  };

const ids = (rows: unknown) => (rows as { id: string }[]).map((r) => r.id);

const cases: BadInput[] = [
  // Vectors: wrong length, NaN, Infinity, wrong type, all zeros.
  {
    name: "create with a 3-number vector: DIMENSION_MISMATCH",
    run: () => prisma.document.create({ data: { content: "a", label, ...withEmbedding([0.1, 0.2, 0.3]) } }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "create with NaN in the vector: DIMENSION_MISMATCH",
    run: () =>
      prisma.document.create({ data: { content: "a", label, ...withEmbedding([...vector(383), Number.NaN]) } }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "createMany where the last row's vector has Infinity: DIMENSION_MISMATCH, no row of the batch written",
    run: () =>
      prisma.annotation.createMany({
        data: [
          { documentId, rawText: "fine", label, ...withEmbedding(vector(384)) },
          { documentId, rawText: "bad", label, ...withEmbedding([Number.POSITIVE_INFINITY, ...vector(383)]) },
        ],
      }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "upsert with a 385-number vector: DIMENSION_MISMATCH",
    run: () =>
      prisma.document.upsert({
        where: { id: documentId },
        create: { content: "a", label },
        update: { content: "b", ...withEmbedding(vector(385)) },
      }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "a vector given as the string '[1,2,3]': DIMENSION_MISMATCH",
    run: () => prisma.document.create({ data: { content: "a", label, embedding: "[1,2,3]" } as never }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "embedding: null (to skip embedding): INVALID_ARGUMENT",
    run: () => prisma.document.create({ data: { content: "a", label, embedding: null } as never }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "similaritySearch with Infinity in the query vector: DIMENSION_MISMATCH",
    run: () => prisma.annotation.similaritySearch({ query: [...vector(383), Number.POSITIVE_INFINITY] }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "similaritySearch with a Float32Array holding NaN: DIMENSION_MISMATCH",
    run: () => prisma.annotation.similaritySearch({ query: new Float32Array(384).fill(Number.NaN) }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "similaritySearch with an all-zero vector (cosine undefined): INVALID_ARGUMENT",
    run: () => prisma.annotation.similaritySearch({ query: vector(384, 0) }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "hybridSearch with a 10-number vector: DIMENSION_MISMATCH",
    run: () => prisma.annotation.hybridSearch({ query: "rent", vector: vector(10) }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },

  // Texts: empty, 1 MB, invalid UTF-16, NUL.
  {
    name: "an empty content is a valid row: stored as '' with a vector",
    run: () => prisma.document.create({ data: { content: "", label }, select: { id: true } }),
    accepts: storesExactly(""),
  },
  {
    name: "a 1 MB content is accepted: stored in full, embedded from its first 256 word pieces",
    run: () => prisma.document.create({ data: { content: "word ".repeat(MB / 5), label }, select: { id: true } }),
    accepts: storesExactly("word ".repeat(MB / 5)),
  },
  {
    name: "a 2 MB (UTF-8) content of one million 'é' is stored byte for byte",
    run: () => prisma.document.create({ data: { content: "é".repeat(MB), label }, select: { id: true } }),
    accepts: storesExactly("é".repeat(MB)),
  },
  {
    name: "1 MB of distinct words, whose tsvector exceeds PostgreSQL's 1 MB limit: QUERY_FAILED, nothing written",
    run: () => prisma.document.create({ data: { content: distinctWords(MB), label } }),
    rejects: fails(QueryError, "QUERY_FAILED"),
  },
  {
    name: "an emoji (a valid surrogate pair) is data: stored exactly",
    run: () => prisma.document.create({ data: { content: "rent 😀 due", label }, select: { id: true } }),
    accepts: storesExactly("rent 😀 due"),
  },
  {
    name: "create with a lone high surrogate in content: INVALID_ARGUMENT",
    run: () => prisma.document.create({ data: { content: "broken \ud800 text", label } }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "nested annotation create with a lone low surrogate: INVALID_ARGUMENT, the parent document not written either",
    run: () =>
      prisma.document.create({
        data: { content: "parent", label, annotations: { create: [{ rawText: "ok" }, { rawText: "\udc00" }] } },
      }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "createMany with a NUL character in one rawText: INVALID_ARGUMENT",
    run: () =>
      prisma.annotation.createMany({
        data: [
          { documentId, rawText: "fine", label },
          { documentId, rawText: "nul\u0000byte", label },
        ],
      }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "updateMany setting a text with a lone surrogate: INVALID_ARGUMENT",
    run: () => prisma.annotation.updateMany({ where: { documentId }, data: { rawText: "a\udbffb" } }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "similaritySearch with a lone surrogate in the query: INVALID_ARGUMENT",
    run: () => prisma.annotation.similaritySearch({ query: "rent \ud83d" }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "similaritySearch with an empty query: INVALID_ARGUMENT",
    run: () => prisma.annotation.similaritySearch({ query: "" }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "textSearch with a blank query: INVALID_ARGUMENT",
    run: () => prisma.annotation.textSearch({ query: " \n\t " }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "similaritySearch with a 1 MB query is accepted: embedded from its beginning",
    run: () => prisma.annotation.similaritySearch({ query: "rent ".repeat(MB / 5), where: { label }, take: 2 }),
    accepts: (rows) => {
      assert.equal((rows as unknown[]).length, 2);
      return undefined;
    },
  },
  {
    name: "textSearch with a 1 MB query of 200,000 words: INVALID_ARGUMENT (was QUERY_FAILED: stack depth exceeded)",
    run: () => prisma.annotation.textSearch({ query: "rent ".repeat(MB / 5) }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "hybridSearch with a 20,000-word query: INVALID_ARGUMENT (ts_rank_cd's cost grows with the square of the words)",
    run: () => prisma.annotation.hybridSearch({ query: manyWords(20_000) }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },

  // Unknown fields, operators and arguments.
  {
    name: "a filter on an unknown field: INVALID_FILTER",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { secret: "x" } as never }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "an unknown operator (regex): INVALID_FILTER",
    run: () => prisma.annotation.textSearch({ query: "rent", where: { label: { regex: ".*" } } as never }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "an unknown mode: INVALID_FILTER",
    run: () =>
      prisma.annotation.similaritySearch({ query: "rent", where: { label: { equals: "x", mode: "regex" } } as never }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a to-many quantifier on the to-one relation: INVALID_FILTER",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { document: { some: { label } } } as never }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "an unknown search argument (limit instead of take): INVALID_ARGUMENT",
    run: () => prisma.annotation.similaritySearch({ query: "rent", limit: 5 } as never),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "a cursor without an id: INVALID_ARGUMENT",
    run: () => prisma.annotation.similaritySearch({ query: "rent", cursor: { page: 1 } } as never),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "select of an unknown field, with rows found: INVALID_ARGUMENT (was Prisma's validation error, and none without rows)",
    run: () =>
      prisma.annotation.similaritySearch({ query: "rent", where: { label }, select: { secret: true } as never }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "select of an unknown field, no row found: INVALID_ARGUMENT all the same",
    run: () =>
      prisma.annotation.similaritySearch({
        query: "rent",
        where: { label: "no-such-label" },
        select: { secret: true } as never,
      }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "include of an unknown relation: INVALID_ARGUMENT",
    run: () => prisma.annotation.textSearch({ query: "rent", include: { owner: true } as never }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "create with an unknown field: Prisma's own PrismaClientValidationError (writes are Prisma's to validate)",
    run: () => prisma.document.create({ data: { content: "a", label, secret: 1 } as never }),
    rejects: { type: Prisma.PrismaClientValidationError },
  },
  {
    name: "$reembed with an unknown model: INVALID_ARGUMENT (was a TypeError)",
    run: () => prisma.$reembed({ models: ["Secret" as never] }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "$reembed with a misspelt option (batchsize): INVALID_ARGUMENT (was ignored)",
    // models: [] so that, were the typo ignored, the run would have nothing to do.
    run: () => prisma.$reembed({ models: [], batchsize: 10 } as never),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "writing the internal embeddingPayload column directly: INVALID_ARGUMENT",
    run: () => prisma.document.update({ where: { id: documentId }, data: { embeddingPayload: "not a vector" } }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "embeddingPayload in a nested annotation create: INVALID_ARGUMENT, the parent document not written either",
    run: () =>
      prisma.document.create({
        data: {
          content: "parent",
          label,
          annotations: { create: [{ rawText: "ok" }, { rawText: "also ok", embeddingPayload: "[1,2,3]" }] },
        },
      }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "embeddingPayload: undefined is no value: the row is written and embedded",
    run: () =>
      prisma.document.create({
        data: { content: "undefined payload", label, embeddingPayload: undefined },
        select: { id: true },
      }),
    accepts: storesExactly("undefined payload"),
  },

  // Injection attempts: in keys (rejected) and in values (data).
  {
    name: "SQL in a filter key: INVALID_FILTER",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { [HOSTILE_FIELD]: "x" } as never }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "SQL in an operator key: INVALID_FILTER",
    run: () => prisma.annotation.textSearch({ query: "rent", where: { label: { "equals' OR '1'='1": "x" } } as never }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "__proto__ as a filter key: INVALID_FILTER",
    run: () =>
      prisma.annotation.similaritySearch({ query: "rent", where: JSON.parse('{"__proto__": {"label": "x"}}') }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a where that is a SQL string: INVALID_FILTER",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: "1=1" as never }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a JSON path given as a string ('$.a'): INVALID_FILTER",
    run: () =>
      prisma.annotation.similaritySearch({ query: "rent", where: { metadata: { path: "$.a" as never, equals: 1 } } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "SQL in a filter value is data: finds exactly the row labelled with it",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { label: HOSTILE } }),
    accepts: (rows) => {
      assert.deepEqual(ids(rows), [hostileId]);
      return undefined;
    },
  },
  {
    name: "SQL in a JSON path segment is data: finds exactly the row with that key",
    run: () =>
      prisma.annotation.similaritySearch({
        query: "rent",
        where: { metadata: { path: [HOSTILE_KEY], equals: HOSTILE } },
      }),
    accepts: (rows) => {
      assert.deepEqual(ids(rows), [hostileId]);
      return undefined;
    },
  },
  {
    name: "SQL and LIKE wildcards in a JSON string_contains value are data: no row matches",
    run: () =>
      prisma.annotation.textSearch({
        query: "rent",
        where: { metadata: { path: ["kind"], string_contains: "%' OR '1'='1" } },
      }),
    accepts: (rows) => {
      assert.deepEqual(rows, []);
      return undefined;
    },
  },
  {
    name: "LIKE wildcards in contains match themselves: '0% of the deposit_' finds its one row",
    run: () =>
      prisma.annotation.similaritySearch({
        query: "rent",
        where: { label, rawText: { contains: "0% of the deposit_" } },
      }),
    accepts: (rows) => {
      assert.deepEqual(
        (rows as { rawText: string }[]).map((r) => r.rawText),
        ["100% of the deposit_is returned."],
      );
      return undefined;
    },
  },
  {
    name: "SQL in a full-text query string is data: finds the row that contains those words",
    run: () => prisma.annotation.textSearch({ query: HOSTILE, where: { documentId } }),
    accepts: (rows) => {
      assert.deepEqual(ids(rows), [hostileId]);
      return undefined;
    },
  },
  {
    name: "tsquery operators in a full-text query (& | ! ( :* <->) are words, not syntax errors",
    run: () => prisma.annotation.textSearch({ query: "rent & | ! ( :* <-> ' due", where: { documentId } }),
    accepts: (rows) => {
      assert.ok((rows as unknown[]).length <= 1);
      return undefined;
    },
  },
  {
    name: "a stored label full of SQL is data: written and read back exactly",
    run: () => prisma.document.create({ data: { content: HOSTILE, label: HOSTILE }, select: { id: true } }),
    accepts: storesExactly(HOSTILE),
  },
  {
    name: "a lone surrogate in a filter value: INVALID_FILTER (was QUERY_FAILED from the driver)",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { label: "a\ud800b" } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a lone surrogate in a JSON path segment: INVALID_FILTER (was QUERY_FAILED)",
    run: () => prisma.annotation.textSearch({ query: "rent", where: { metadata: { path: ["k\udc00"], equals: 1 } } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a lone surrogate in a JSON value: INVALID_FILTER (was QUERY_FAILED)",
    run: () =>
      prisma.annotation.hybridSearch({ query: "rent", where: { metadata: { path: ["kind"], equals: ["\ud800"] } } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a where nested 5,000 levels deep: INVALID_FILTER (was a RangeError)",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: nestedWhere(5000) }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a where that contains itself: INVALID_FILTER (was a RangeError)",
    run: () => prisma.annotation.textSearch({ query: "rent", where: cyclic({ label }, "AND") }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a JSON operand that contains itself: INVALID_FILTER (was a RangeError)",
    run: () =>
      prisma.annotation.similaritySearch({
        query: "rent",
        where: { metadata: { path: ["kind"], equals: cyclic({ a: 1 }, "self") as never } },
      }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "an in list of 70,000 values, more than one statement can bind: INVALID_FILTER (was QUERY_FAILED 08P01)",
    run: () =>
      prisma.annotation.textSearch({
        query: "rent",
        where: { label: { in: Array.from({ length: 70_000 }, (_, i) => `label-${i}`) } },
      }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "a string where a list is expected (in: 'a'): INVALID_FILTER",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { label: { in: "a" as never } } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },

  // Numbers: take, skip and numeric filters out of range.
  ...[-1, 0, 1_000_000_000, Number.POSITIVE_INFINITY, Number.NaN, 2.5].map(
    (take): BadInput => ({
      name: `take: ${take}: INVALID_ARGUMENT`,
      run: () => prisma.annotation.similaritySearch({ query: "rent", take }),
      rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
    }),
  ),
  {
    name: "take: '5' (a string): INVALID_ARGUMENT",
    run: () => prisma.annotation.hybridSearch({ query: "rent", take: "5" as never }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "skip: -1: INVALID_ARGUMENT",
    run: () => prisma.annotation.textSearch({ query: "rent", skip: -1 }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "skip: 10^12: INVALID_ARGUMENT",
    run: () => prisma.annotation.hybridSearch({ query: "rent", skip: 1e12 }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "hybrid candidates: 10^6: INVALID_ARGUMENT",
    run: () => prisma.annotation.hybridSearch({ query: "rent", candidates: 1e6 }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "efSearch: 0: INVALID_ARGUMENT",
    run: () => prisma.annotation.similaritySearch({ query: "rent", efSearch: 0 }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "minSimilarity: NaN: INVALID_ARGUMENT",
    run: () => prisma.annotation.similaritySearch({ query: "rent", minSimilarity: Number.NaN }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "fusion k: Infinity: INVALID_ARGUMENT",
    run: () => prisma.annotation.hybridSearch({ query: "rent", fusion: { type: "rrf", k: Number.POSITIVE_INFINITY } }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "an Int filter of NaN: INVALID_FILTER",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { page: Number.NaN } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "an Int filter gt Infinity: INVALID_FILTER",
    run: () => prisma.annotation.textSearch({ query: "rent", where: { page: { gt: Number.POSITIVE_INFINITY } } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "an Int filter of 2^40, outside a 32-bit Int: INVALID_FILTER (was QUERY_FAILED; Prisma's findMany says P2020)",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { page: 2 ** 40 } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "an Int filter of lt 1.5 is truncated to lt 1, as Prisma's findMany sends it: not the page 1 row",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { label, page: { lt: 1.5 } } }),
    accepts: (rows) => {
      assert.deepEqual(
        (rows as { page: number }[]).map((r) => r.page),
        [],
      );
      return undefined;
    },
  },
  {
    name: "a DateTime filter of an Invalid Date: INVALID_FILTER",
    run: () => prisma.annotation.similaritySearch({ query: "rent", where: { createdAt: { gt: new Date("nope") } } }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
];

describe("bad inputs through the public API: a typed error or exactly the data given, and the database as it was", () => {
  runCases(cases);
});
