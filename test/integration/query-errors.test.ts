import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { PrismaPg } from "@prisma/adapter-pg";
import { NodeRelationship, TextNode } from "llamaindex";
import { queryRows } from "../../src/db/execute.ts";
import type { Embedder } from "../../src/embed/embedder.ts";
import { DimensionMismatchError, InvalidArgumentError, QueryError } from "../../src/errors.ts";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { HybridQueryMode, PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { createPrisma, databaseUrl, target, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
after(() => base.$disconnect());

/** The tiny model under another id: a check constraint below rejects rows of this id only. */
const rejected = `phs-rejected-${randomBytes(3).toString("hex")}`;
const rejectedEmbedder: Embedder = {
  modelId: rejected,
  dimensions: 384,
  embed: (texts) => tinyEmbedder().embed(texts),
};

/** What every database error must look like: the server's words and SQLSTATE in the message. */
function serverSays(sqlState: string, words: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof QueryError, `expected QueryError, got ${String(error)}`);
    assert.equal(error.sqlState, sqlState);
    assert.match(error.message, words);
    assert.match(error.message, new RegExp(`SQLSTATE ${sqlState}`));
    assert.doesNotMatch(error.message, /^Query failed: P20\d\d/);
    return true;
  };
}

describe("database errors carry the SQLSTATE and the server's message", () => {
  const constraint = `phs_reject_${rejected.slice(-6)}`;
  before(() =>
    withPg((pg) =>
      pg.query(
        // NOT VALID: existing rows are not checked; only writes of the rejected model id fail.
        `alter table "Annotation" add constraint "${constraint}" check ("embeddingModel" is distinct from '${rejected}') not valid`,
      ),
    ),
  );
  after(() => withPg((pg) => pg.query(`alter table "Annotation" drop constraint "${constraint}"`)));

  test("a statement run like the searches run theirs", async () => {
    await assert.rejects(
      queryRows(base, { sql: "SELECT 1 / $1::int AS x", params: [0] }),
      serverSays("22012", /division by zero/),
    );
  });

  test("$reembed", async () => {
    const label = uniqueLabel("reembed-error");
    const doc = await base.document.create({ data: { content: "a document", label } });
    await base.annotation.create({ data: { documentId: doc.id, rawText: "a chunk without a vector", label } });
    const prisma = base.$extends(hybridStore({ embedder: rejectedEmbedder }));
    await assert.rejects(prisma.$reembed({ models: ["Annotation"] }), serverSays("23514", /violates check constraint/));
  });

  test("LlamaIndex add", async () => {
    const store = new PrismaHybridVectorStore({ prisma: base, embedder: rejectedEmbedder });
    const node = new TextNode({
      text: "a node",
      relationships: { [NodeRelationship.SOURCE]: { nodeId: uniqueLabel("doc"), metadata: {} } },
    });
    await assert.rejects(store.add([node]), serverSays("23514", /violates check constraint/));
  });

  const skip = target() === "server" ? false : "roles and privileges need a real PostgreSQL server";
  test("a search by a role without SELECT on the table", { skip }, async () => {
    const role = `phs_noread_${randomBytes(3).toString("hex")}`;
    await withPg((pg) => pg.query(`create role ${role} login`));
    const url = new URL(databaseUrl());
    url.username = role;
    const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url.toString(), max: 1 }) });
    try {
      const prisma = client.$extends(hybridStore({ embedder: tinyEmbedder() }));
      await assert.rejects(
        prisma.annotation.textSearch({ query: "cats", take: 3 }),
        serverSays("42501", /permission denied for table Annotation/),
      );
    } finally {
      await client.$disconnect();
      await withPg((pg) => pg.query(`drop role ${role}`));
    }
  });
});

/** A LlamaIndex embedding of another size than the bundled schema's vector(384). */
class Wide768 extends BaseEmbedding {
  constructor(declare: boolean) {
    super();
    if (declare) this.embedInfo = { dimensions: 768 };
  }
  override async getTextEmbedding(text: string): Promise<number[]> {
    return Array.from({ length: 768 }, (_, i) => Math.sin(i + text.length));
  }
  override async getQueryEmbedding(query: unknown): Promise<number[]> {
    return this.getTextEmbedding(String(query));
  }
}

describe("an embedModel of 768 dimensions", () => {
  const isMismatch = (error: unknown) => {
    assert.ok(error instanceof DimensionMismatchError, `expected DimensionMismatchError, got ${String(error)}`);
    assert.equal(error.expected, 384);
    assert.equal(error.received, 768);
    return true;
  };

  test("declared: the store refuses it when made", () => {
    assert.throws(() => new PrismaHybridVectorStore({ prisma: base, embedModel: new Wide768(true) }), isMismatch);
  });

  test("undeclared: add and query end as DimensionMismatchError and write nothing", async () => {
    const store = new PrismaHybridVectorStore({ prisma: base, embedModel: new Wide768(false) });
    const docId = uniqueLabel("wide");
    const node = new TextNode({
      text: "wide",
      relationships: { [NodeRelationship.SOURCE]: { nodeId: docId, metadata: {} } },
    });
    await assert.rejects(store.add([node]), isMismatch);
    const count = await withPg(
      async (pg) => (await pg.query(`select count(*)::int as n from "Document" where id = $1`, [docId])).rows[0].n,
    );
    assert.equal(count, 0);
    await assert.rejects(
      store.query({ queryStr: "wide", similarityTopK: 2, mode: HybridQueryMode.DEFAULT }),
      isMismatch,
    );
  });
});

describe("dates at the edges of PostgreSQL's range in a filter", () => {
  const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
  const label = uniqueLabel("dates");
  const search = (createdAt: Record<string, Date>) =>
    prisma.document.textSearch({ query: "calendar", take: 10, where: { label, createdAt } });

  test("years after 9999 and before 1 AD compare like any date", async () => {
    await base.document.createMany({ data: [1, 2].map((i) => ({ content: `calendar page ${i}`, label })) });
    // Every row was written now: after 6 BC and before the year 10000 (the oracle is the label's rows).
    const all = (await base.document.findMany({ where: { label }, select: { id: true } })).map((r) => r.id).sort();
    assert.equal(all.length, 2);
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
    assert.deepEqual(ids(await search({ lt: new Date("+010000-01-01T00:00:00Z") })), all);
    assert.deepEqual(ids(await search({ gt: new Date("-000005-06-01T00:00:00Z") })), all);
    assert.deepEqual(await search({ gt: new Date("+275760-09-13T00:00:00Z") }), []);
  });

  test("a date before 4713 BC is a typed error that says so, before anything is sent", async () => {
    await assert.rejects(search({ gt: new Date(-8.64e15) }), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
      assert.match(error.message, /where\.createdAt .*4713 BC/);
      return true;
    });
  });
});
