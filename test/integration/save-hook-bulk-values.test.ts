/**
 * Differential test of the fast `createMany`: every value goes through it (a call outside a
 * transaction) and through Prisma's own path (the same call inside one); what the database
 * stores, read back with plain pg, must be the same, or both calls must fail.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { hybridStore } from "../../src/extension.ts";
import { Prisma } from "../../src/generated/prisma/client.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
after(() => base.$disconnect());
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));

const TRANSACTION_LIMITS = { maxWait: 60_000, timeout: 300_000 };

type Outcome = { stored: Record<string, unknown>[] } | { failed: true };

/** Runs `createMany` with rows built by `rows(label)` and returns what the label's rows hold. */
async function outcome(
  documentId: string,
  inTransaction: boolean,
  rows: () => Record<string, unknown>[],
): Promise<Outcome> {
  const label = uniqueLabel("bulk-values");
  const data = rows().map((row, i) => ({ documentId, rawText: `row ${i}`, label, ...row }));
  try {
    // Generous transaction limits: Prisma's default 5 s timeout, not the value, failed this under load.
    if (inTransaction) {
      await prisma.$transaction((tx) => tx.annotation.createMany({ data: data as never }), TRANSACTION_LIMITS);
    } else await prisma.annotation.createMany({ data: data as never });
  } catch {
    return { failed: true };
  }
  return withPg(async (pg) => {
    const r = await pg.query(
      `select "rawText", metadata::text as metadata, page, position, embedding is not null as embedded
         from "Annotation" where label = $1 order by "rawText"`,
      [label],
    );
    return { stored: r.rows };
  });
}

const symbolKeyed = () => {
  const value: Record<string | symbol, unknown> = { a: 1 };
  value[Symbol("s")] = 2;
  return value;
};

/** Values of `metadata` (Json) and of other columns that a JavaScript caller can pass. */
const CASES: Record<string, () => Record<string, unknown>[]> = {
  "nested Decimal": () => [{ metadata: { price: new Prisma.Decimal("1.50") } }],
  "nested Buffer": () => [{ metadata: { bytes: Buffer.from("hi") } }],
  "nested Uint8Array": () => [{ metadata: { bytes: new Uint8Array([1, 2]) } }],
  "nested function": () => [{ metadata: { f: () => 1, kept: true } }],
  "nested symbol": () => [{ metadata: { s: Symbol("x"), kept: true } }],
  "symbol key": () => [{ metadata: symbolKeyed() }],
  "undefined in an array": () => [{ metadata: { list: [1, undefined, 3] } }],
  "function in an array": () => [{ metadata: { list: [1, () => 2] } }],
  "undefined property": () => [{ metadata: { a: undefined, b: 1 } }],
  "nested Date": () => [{ metadata: { at: new Date("2024-05-06T07:08:09.010Z") } }],
  "toJSON object": () => [{ metadata: { v: { toJSON: () => "custom" } } }],
  "nested class instance": () => [
    {
      metadata: {
        v: new (class Point {
          x = 1;
        })(),
      },
    },
  ],
  "nested Map": () => [{ metadata: { m: new Map([["a", 1]]) } }],
  "nested NaN": () => [{ metadata: { n: Number.NaN } }],
  "nested Infinity": () => [{ metadata: { n: Number.POSITIVE_INFINITY } }],
  "negative zero": () => [{ metadata: { n: -0 } }],
  "large and tiny numbers": () => [{ metadata: { big: 1e21, tiny: 5e-324, max: Number.MAX_VALUE } }],
  "nested BigInt": () => [{ metadata: { n: 10n } }],
  "nested null": () => [{ metadata: { n: null, list: [null] } }],
  "a JSON string": () => [{ metadata: "just text" }],
  "a JSON number": () => [{ metadata: 42 }],
  "a JSON array": () => [{ metadata: [1, "two", { three: 3 }] }],
  "unicode and escapes": () => [{ metadata: { s: 'é 😀 "quoted" \\ \n\t' } }],
  "lone surrogate": () => [{ metadata: { s: "\ud800" } }],
  "NUL in JSON": () => [{ metadata: { s: "a\u0000b" } }],
  "__proto__ key": () => [{ metadata: JSON.parse('{"__proto__": {"x": 1}, "y": 2}') }],
  "deep nesting": () => {
    let value: unknown = 1;
    for (let i = 0; i < 200; i++) value = { d: value };
    return [{ metadata: value }];
  },
  "rows with and without metadata": () => [{ metadata: { a: 1 } }, {}, { metadata: [] }],
  "small fractions": () => [{ metadata: { a: 0.1, b: 1e-7, c: 123456.789, d: 2 ** 53 + 2 } }],
  "createdAt as a Date": () => [{ createdAt: new Date("2001-02-03T04:05:06.789Z") }],
  "createdAt as an ISO string": () => [{ createdAt: "2001-02-03T04:05:06.789Z" }],
  "createdAt in year 10000": () => [{ createdAt: new Date("+010000-01-01T00:00:00Z") }],
  "createdAt before year 0": () => [{ createdAt: new Date("-000005-01-01T00:00:00Z") }],
  "an invalid Date": () => [{ createdAt: new Date(Number.NaN) }],
  "Int out of range": () => [{ page: 2 ** 31 }],
  "fractional Int": () => [{ page: 1.5 }],
  "Int as a string": () => [{ page: "3" }],
  "Int as a BigInt": () => [{ page: 3n }],
};

describe("fast createMany stores what Prisma's createMany stores", () => {
  let documentId = "";
  test("a parent document", async () => {
    documentId = (await base.document.create({ data: { content: "parent of value cases" } })).id;
  });

  for (const [name, rows] of Object.entries(CASES)) {
    test(name, async () => {
      const viaPrisma = await outcome(documentId, true, rows);
      const viaFast = await outcome(documentId, false, rows);
      assert.deepEqual(viaFast, viaPrisma);
    });
  }
});
