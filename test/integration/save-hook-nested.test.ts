/**
 * A `document.create` with nested annotations written as one statement (nested-create.ts)
 * against Prisma's own nested write: the same rows in the database, the same returned value for
 * every select/include/omit, and Prisma's path (and errors) for whatever is not plain.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = new PrismaClient({
  adapter: new PrismaPg({ connectionString: databaseUrl(), max: 4, idleTimeoutMillis: 1000 }),
  log: [{ emit: "event", level: "query" }],
});
after(() => base.$disconnect());
const statements: string[] = [];
base.$on("query", (e) => statements.push(e.query));
const fast = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
const prismaPath = base.$extends(hybridStore({ embedder: tinyEmbedder(), fastCreateMany: false }));
const oneStatement = () => statements.some((s) => s.startsWith("WITH d AS (INSERT INTO"));

const vector = Array.from({ length: 384 }, (_, i) => (i % 5 === 0 ? 0.5 : -0.25));

/** Ids, timestamps and generated vectors aside, every column of the document and its annotations. */
async function stored(documentId: string) {
  return withPg(async (pg) => {
    const doc = await pg.query(
      `select source, title, content, label, metadata, "embeddingModel", embedding::text as embedding,
              "createdAt" is not null as created, "updatedAt" is not null as updated
         from "Document" where id = $1`,
      [documentId],
    );
    const anns = await pg.query(
      `select "rawText", label, page, position, metadata, "embeddingModel", embedding::text as embedding,
              length(id) as id_length
         from "Annotation" where "documentId" = $1 order by "rawText"`,
      [documentId],
    );
    return { doc: doc.rows, anns: anns.rows };
  });
}

/** Drops what differs by design between two writes of the same data: ids and timestamps. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value instanceof Date) return "date";
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === "id" || k === "documentId" ? typeof v : comparable(v)]),
    );
  }
  return value;
}

const cases: [string, (label: string) => Record<string, unknown>][] = [
  ["plain", (label) => ({ data: { content: "doc", label, annotations: { create: children(label, 20) } } })],
  [
    "ids given, metadata, select",
    (label) => ({
      data: {
        id: `${label}-doc`,
        title: "T",
        content: "with ids",
        metadata: { a: [1, "b", null], label },
        annotations: { create: children(label, 3).map((c, i) => ({ ...c, id: `${label}-${i}` })) },
      },
      select: { id: true, content: true, metadata: true },
    }),
  ],
  [
    "include annotations (ordered), one child object",
    (label) => ({
      data: { content: "one child", annotations: { create: { rawText: "only child", label, page: null } } },
      include: { annotations: { orderBy: { rawText: "asc" } } },
    }),
  ],
  [
    "omit, caller vectors",
    (label) => ({
      data: {
        content: "vectors",
        ...withEmbedding(vector),
        annotations: { create: [{ rawText: "given", label, ...withEmbedding(vector) }] },
      },
      omit: { embeddingPayload: true, content: true },
    }),
  ],
];

function children(label: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    rawText: `child ${i}`,
    label,
    page: i,
    position: i,
    metadata: { i, nested: { deep: [i] } },
  }));
}

describe("nested create in one statement matches Prisma's nested write", {
  skip: onCitus() && "Citus: Prisma's path",
}, () => {
  for (const [name, make] of cases) {
    test(name, async () => {
      statements.length = 0;
      const mine = (await fast.document.create(make(uniqueLabel("f")) as never)) as Record<string, unknown>;
      assert.ok(oneStatement(), "the fast path wrote it");
      statements.length = 0;
      const theirs = (await prismaPath.document.create(make(uniqueLabel("p")) as never)) as Record<string, unknown>;
      assert.ok(!oneStatement());
      const strip = (v: unknown) => JSON.parse(JSON.stringify(comparable(v)).replace(/(f|p)-[0-9a-f]{8}/g, "L"));
      assert.deepEqual(strip(mine), strip(theirs));
      const rowsMine = await stored(String(mine.id));
      const rowsTheirs = await stored(String(theirs.id));
      assert.deepEqual(strip(rowsMine), strip(rowsTheirs));
      assert.ok(rowsMine.anns.every((a) => a.embedding !== null));
    });
  }

  test("without select/include/omit the statement returns the row, once it proved equal to Prisma's read-back", async () => {
    const store = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const readBacks = () => statements.filter((s) => s.startsWith('SELECT "public"."Document"')).length;
    // The first call compares; so does the first with a value in a field that was null until then.
    const expected = [1, 0, 0, 1, 0];
    for (const [i, reads] of expected.entries()) {
      const label = uniqueLabel("r");
      statements.length = 0;
      const made = await store.document.create({
        data: {
          content: `returned ${i}`,
          label,
          metadata: { i },
          ...(i >= 3 ? { title: `title ${i}` } : {}),
          annotations: { create: children(label, 2) },
        },
      });
      assert.ok(oneStatement());
      assert.equal(readBacks(), reads, `call ${i}`);
      assert.deepStrictEqual(made, await base.document.findUniqueOrThrow({ where: { id: made.id } }));
      assert.deepEqual(Object.keys(made), Object.keys(await base.document.findFirstOrThrow()), "Prisma's key order");
    }
  });

  test("a client whose results differ from the row (global omit, another extension's fields) keeps Prisma's read-back", async () => {
    const omitting = new PrismaClient({
      adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2, idleTimeoutMillis: 1000 }),
      omit: { document: { content: true } },
    });
    try {
      const computed = base.$extends({
        result: { document: { shout: { needs: { content: true }, compute: (d) => d.content.toUpperCase() } } },
      });
      const omitStore = omitting.$extends(hybridStore({ embedder: tinyEmbedder() }));
      const computedStore = computed.$extends(hybridStore({ embedder: tinyEmbedder() }));
      for (let i = 0; i < 3; i++) {
        const label = uniqueLabel("o");
        const data = { content: `differs ${i}`, label, annotations: { create: children(label, 2) } };
        const withoutContent = await omitStore.document.create({ data });
        assert.ok(!("content" in withoutContent), "the global omit holds on every call");
        assert.deepStrictEqual(
          withoutContent,
          await omitting.document.findUniqueOrThrow({ where: { id: withoutContent.id } }),
        );
        const shouted = await computedStore.document.create({ data: { ...data, label: `${label}-c` } });
        assert.equal(shouted.shout, `DIFFERS ${i}`, "the other extension's field is there on every call");
      }
    } finally {
      await omitting.$disconnect();
    }
  });

  test("whatever is not plain goes to Prisma, with Prisma's errors; nothing half-written", async () => {
    const label = uniqueLabel("n");
    const parent = await base.document.create({ data: { content: "other" } });
    statements.length = 0;
    await fast.document.create({
      data: { content: "nested createMany", annotations: { createMany: { data: [{ rawText: `m ${label}`, label }] } } },
    });
    assert.ok(!oneStatement());
    await assert.rejects(
      fast.document.create({
        data: { content: "bad", annotations: { create: [{ rawText: "x", documentId: parent.id } as never] } },
      }),
      /documentId|Unknown argument/,
    );
    assert.ok(!oneStatement());
    // A duplicate annotation id: the statement fails whole, then Prisma's write reports it.
    const id = `${label}-dup`;
    await base.annotation.create({ data: { id, rawText: "first", documentId: parent.id } });
    await assert.rejects(
      fast.document.create({ data: { content: `dup ${label}`, annotations: { create: [{ id, rawText: "again" }] } } }),
      /Unique constraint/i,
    );
    assert.equal(await base.document.count({ where: { content: `dup ${label}` } }), 0);
    // Inside a transaction: Prisma's path, in the caller's transaction.
    statements.length = 0;
    await fast.$transaction(async (tx) => {
      await tx.document.create({ data: { content: "in tx", annotations: { create: [{ rawText: `t ${label}` }] } } });
    });
    assert.ok(!oneStatement());
  });
});
