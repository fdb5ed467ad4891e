/**
 * The save hook's fast `createMany` (one INSERT ... unnest) against Prisma's own `createMany`:
 * the same rows, the same counts, Prisma's errors, and Prisma's path wherever the fast one
 * cannot be exact (transactions, values only Prisma interprets).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { Prisma, PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl, target, uniqueLabel, withPg } from "../helpers/db.ts";
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

/** Runs `write` and says which INSERTs into "Annotation" it sent: the fast one or Prisma's. */
async function insertsOf(write: () => Promise<unknown>): Promise<("fast" | "prisma")[]> {
  statements.length = 0;
  await write();
  // On Citus the fast path is a VALUES list with cast parameters (src/db/citus-insert.ts).
  const fastPath = (s: string) => s.includes("unnest(") || /VALUES \(\$1::/.test(s);
  return statements
    .filter((s) => /^INSERT INTO ("public"\.)?"Annotation"/.test(s))
    .map((s) => (fastPath(s) ? "fast" : "prisma"));
}

/** Every column of the label's annotations as the database has them, vectors as text. */
async function stored(label: string) {
  return withPg(async (pg) => {
    const r = await pg.query(
      `select id, "documentId", "rawText", label, page, position, metadata, "embeddingModel", "embeddingPayload",
              "contentHash", "createdAt", "updatedAt", embedding::text as embedding
         from "Annotation" where label = $1 order by "rawText", id`,
      [label],
    );
    return r.rows as Record<string, unknown>[];
  });
}

async function newDocument(label: string): Promise<string> {
  return (await base.document.create({ data: { content: "parent", label } })).id;
}

const vector = Array.from({ length: 384 }, (_, i) => (i % 7 === 0 ? 0.25 : -0.125));

/** A batch with what users write: missing optional fields, nulls, nested JSON, dates, unicode. */
function batch(documentId: string, label: string, idPrefix: string) {
  return [
    { documentId, rawText: "cats sleep a lot", label, page: 3 },
    { documentId, rawText: "dogs bark — at night 🌙", label, position: 7, metadata: { label, a: [1, "two", null] } },
    {
      id: `${idPrefix}-given`,
      documentId,
      rawText: "birds sing",
      label,
      page: null,
      createdAt: new Date("2020-01-02T03:04:05.678Z"),
      updatedAt: new Date("2021-02-03T04:05:06.789Z"),
    },
    { documentId, rawText: "vector given", label, ...withEmbedding(vector) },
    // Array literal syntax inside values: the driver must quote every element.
    { documentId, rawText: "NULL", label, metadata: { s: 'x"y\\z{},NULL' } },
    { documentId, rawText: '{a,"b"} \\ c', label },
    // SQL, a placeholder and escapes in a value and a JSON key: stored as they are.
    { documentId, rawText: `it's "$1"; DROP TABLE x; --`, label, metadata: { "$1'; --": "\\'$2" } },
  ];
}

describe("fast createMany", () => {
  test("writes the same rows as Prisma's createMany, through one unnest INSERT", async () => {
    const [a, b] = [uniqueLabel("fast"), uniqueLabel("prisma")];
    const [docA, docB] = [await newDocument(a), await newDocument(b)];
    const started = Date.now();
    assert.deepEqual(
      await insertsOf(async () =>
        assert.deepEqual(await fast.annotation.createMany({ data: batch(docA, a, a) }), { count: 7 }),
      ),
      ["fast"],
    );
    assert.deepEqual(
      await insertsOf(async () =>
        assert.deepEqual(await prismaPath.annotation.createMany({ data: batch(docB, b, b) }), { count: 7 }),
      ),
      ["prisma"],
    );
    const [rowsA, rowsB] = [await stored(a), await stored(b)];
    assert.equal(rowsA.length, 7);
    assert.ok(rowsA.some((r) => r.rawText === "NULL"));
    const comparable = (row: Record<string, unknown>, label: string, doc: string, generated: boolean) => {
      const { id, createdAt, updatedAt, ...rest } = row;
      if (generated) {
        assert.match(String(id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal((createdAt as Date).getTime(), (updatedAt as Date).getTime(), "createdAt = updatedAt");
        assert.ok(
          (createdAt as Date).getTime() >= started - 1000 && (createdAt as Date).getTime() <= Date.now() + 1000,
        );
      } else {
        assert.equal((createdAt as Date).toISOString(), "2020-01-02T03:04:05.678Z");
        assert.equal((updatedAt as Date).toISOString(), "2021-02-03T04:05:06.789Z");
      }
      return JSON.parse(JSON.stringify(rest).replaceAll(label, "L").replaceAll(doc, "D"));
    };
    rowsA.forEach((rowA, i) => {
      const given = String(rowA.id).endsWith("-given");
      assert.deepEqual(comparable(rowA, a, docA, !given), comparable(rowsB[i]!, b, docB, !given));
    });
    assert.ok(rowsA.every((r) => r.embedding !== null && r.embeddingPayload === null && r.contentHash !== null));
    assert.deepEqual(rowsA.find((r) => r.rawText === "cats sleep a lot")?.metadata, {}, 'the @default("{}")');
  });

  test("skipDuplicates skips the same rows and counts the same", async () => {
    const label = uniqueLabel("skip");
    const documentId = await newDocument(label);
    const rows = ["one", "two", "three"].map((t) => ({ id: `${label}-${t}`, documentId, rawText: t, label }));
    await fast.annotation.createMany({ data: rows.slice(0, 2) });
    assert.deepEqual(await fast.annotation.createMany({ data: rows, skipDuplicates: true }), { count: 1 });
    assert.deepEqual(await prismaPath.annotation.createMany({ data: rows, skipDuplicates: true }), { count: 0 });
    assert.equal((await stored(label)).length, 3);
  });

  test("a batch the database rejects fails with Prisma's own error and writes nothing", async () => {
    const label = uniqueLabel("dup");
    const documentId = await newDocument(label);
    await fast.annotation.createMany({ data: [{ id: `${label}-x`, documentId, rawText: "first", label }] });
    const again = [
      { documentId, rawText: "would be new", label },
      { id: `${label}-x`, documentId, rawText: "duplicate id", label },
    ];
    await assert.rejects(fast.annotation.createMany({ data: again }), { code: "P2002" });
    await assert.rejects(
      fast.annotation.createMany({ data: [{ documentId: "no-such-document", rawText: "x", label }] }),
      {
        code: "P2003",
      },
    );
    await assert.rejects(
      fast.annotation.createMany({ data: [{ documentId, rawText: "x", label, notAField: 1 } as never] }),
      Prisma.PrismaClientValidationError,
    );
    assert.deepEqual(
      (await stored(label)).map((r) => r.rawText),
      ["first"],
    );
  });

  test("values only Prisma interprets, and calls inside transactions, take Prisma's path", async () => {
    const label = uniqueLabel("prisma-only");
    const documentId = await newDocument(label);
    const jsonNull = [{ documentId, rawText: "json null", label, metadata: Prisma.JsonNull }];
    assert.deepEqual(await insertsOf(() => fast.annotation.createMany({ data: jsonNull })), ["prisma"]);
    const isoString = [{ documentId, rawText: "date as text", label, createdAt: "2020-01-02T03:04:05.678Z" }];
    assert.deepEqual(await insertsOf(() => fast.annotation.createMany({ data: isoString })), ["prisma"]);
    const plain = () => [{ documentId, rawText: `in a transaction ${Math.random()}`, label }];
    assert.deepEqual(
      await insertsOf(() => fast.$transaction(async (tx) => tx.annotation.createMany({ data: plain() }))),
      ["prisma"],
    );
    assert.deepEqual(await insertsOf(() => fast.$transaction([fast.annotation.createMany({ data: plain() })])), [
      "prisma",
    ]);
    await assert.rejects(
      fast.$transaction(async (tx) => {
        await tx.annotation.createMany({ data: [{ documentId, rawText: "rolled back", label }] });
        throw new Error("abort");
      }),
      /abort/,
    );
    const rows = await stored(label);
    assert.equal(rows.length, 4);
    assert.ok(rows.every((r) => r.embedding !== null));
    assert.equal(rows.find((r) => r.rawText === "date as text")?.createdAt instanceof Date, true);
  });

  // PGlite has one backend for every connection: a session time zone there would leak into the
  // other tests, so this runs on the server target.
  test("dates mean the same instant whatever the session's time zone", { skip: target() !== "server" }, async () => {
    const label = uniqueLabel("tz");
    const documentId = await newDocument(label);
    const kiritimati = new PrismaClient({
      adapter: new PrismaPg({ connectionString: databaseUrl(), options: "-c TimeZone=Pacific/Kiritimati" }),
    });
    try {
      const store = kiritimati.$extends(hybridStore({ embedder: tinyEmbedder() }));
      const createdAt = new Date("2020-06-30T23:30:00.123Z");
      const before = Date.now();
      await store.annotation.createMany({ data: [{ documentId, rawText: "far east", label, createdAt }] });
      const [row] = await store.annotation.findMany({ where: { label } });
      assert.equal(row?.createdAt.toISOString(), createdAt.toISOString());
      assert.ok(Math.abs(row!.updatedAt.getTime() - before) < 60_000, "updatedAt is now, not 14 hours off");
    } finally {
      await kiritimati.$disconnect();
    }
  });
});
