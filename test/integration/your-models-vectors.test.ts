/**
 * A model with two marked vectors (test/fixtures/your-models: Article's `titleVector`, 384-d from
 * the default embedder, and `bodyVector`, 768-d from the "review" embedder), through the
 * fixture's own generated client, migrated in a schema of its own. Writes embed each vector whose
 * sources they set, with its own embedder, in the row's own statement; searches name the vector
 * with `vectorField` and equal brute force over the stored vectors, with Prisma's findMany as
 * the oracle of the filter; `$reembed` and bulk loads do every vector. The types of `vectorField`
 * are checked by the strict tsc run of your-models-runtime.test.ts.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import type { Embedder } from "../../src/embed/embedder.ts";
import { InvalidArgumentError, SchemaMismatchError } from "../../src/errors.ts";
import { hybridStore } from "../../src/index.ts";
import { PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { databaseUrl, withPg } from "../helpers/db.ts";
import {
  type FixtureDelegate,
  type FixtureRow,
  importFixtureClient,
  type MigratedFixture,
  migrateFixture,
} from "../helpers/fixture-schema.ts";
import { tiny768, tinyEmbedder } from "../helpers/store.ts";
import { bruteForce } from "../helpers/vectors.ts";

const schema = `phs_vectors_${randomBytes(3).toString("hex")}`;

type Delegate = Omit<FixtureDelegate, "explainSearch"> & {
  explainSearch(args: object): Promise<{
    rows: FixtureRow[];
    plan: { kind: string; reason: string; recall: { calibratedAt: Date | null } };
  }>;
  upsert(args: object): Promise<FixtureRow>;
  updateMany(args: object): Promise<{ count: number }>;
};
interface FixtureClient {
  article: Delegate;
  product: Delegate;
  $reembed(options?: object): Promise<{ embedded: Record<string, number> }>;
  $bulkLoad<T>(load: () => Promise<T>, options?: object): Promise<T>;
  $transaction<T>(fn: (tx: FixtureClient) => Promise<T>): Promise<T>;
  $extends(extension: unknown): FixtureClient;
  $on(event: "query", listener: (e: { query: string }) => void): void;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $disconnect(): Promise<void>;
}

/** Counts the texts each embedder is asked for. */
function counting(e: Embedder): Embedder & { calls: number } {
  const counted = {
    modelId: e.modelId,
    dimensions: e.dimensions,
    calls: 0,
    embed: (t: readonly string[]) => e.embed(t),
  };
  counted.embed = (texts) => {
    counted.calls++;
    return e.embed(texts);
  };
  return counted;
}

const tiny = counting(tinyEmbedder());
const body768 = counting(tiny768("test-body-768"));
const embedOne = async (e: Embedder, text: string) => (await e.embed([text]))[0]!;

let migrated: MigratedFixture | undefined;
let base: FixtureClient;
let prisma: FixtureClient;
const clients: FixtureClient[] = [];
let sent = 0;

before(async () => {
  migrated = await migrateFixture({ name: "your-models", searchPath: schema, embedders: new Map([["review", 768]]) });
  const { PrismaClient } = await importFixtureClient<FixtureClient>(migrated);
  const newClient = () => {
    const c = new PrismaClient({
      adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2, idleTimeoutMillis: 1000 }, { schema }),
      log: [{ emit: "event", level: "query" }],
    });
    clients.push(c);
    return c;
  };
  base = newClient();
  base.$on("query", () => {
    sent++;
  });
  prisma = base.$extends(hybridStore({ embedder: tiny, embedders: { review: body768 } }));
});

after(async () => {
  for (const c of clients) await c.$disconnect();
  await migrated?.cleanUp();
});

interface Stored {
  title: number[] | null;
  body: number[] | null;
  titleModel: string | null;
  bodyModel: string | null;
  bodyHash: string | null;
}

/** Both vectors and their model fields of every article, read with plain SQL. */
async function stored(): Promise<Map<string, Stored>> {
  return withPg(async (c) => {
    const { rows } = await c.query(
      `select id, "titleVector"::text as title, body_vector::text as body, "titleVectorModel" as "titleModel",
              "bodyVectorModel" as "bodyModel", "bodyHash" from "${schema}".articles`,
    );
    const parse = (v: string | null) => (v === null ? null : (JSON.parse(v) as number[]));
    return new Map(
      (rows as (Omit<Stored, "title" | "body"> & { id: string; title: string | null; body: string | null })[]).map(
        (r) => [r.id, { ...r, title: parse(r.title), body: parse(r.body) }],
      ),
    );
  });
}
async function storedOf(id: unknown): Promise<Stored> {
  const row = (await stored()).get(String(id));
  assert.ok(row, `article ${String(id)} exists`);
  return row;
}

/** Equal as float4, which is what pgvector stores. */
function assertSameVector(actual: number[] | null, expected: readonly number[], what: string) {
  assert.ok(actual, `${what}: no vector`);
  assert.equal(actual.length, expected.length, what);
  assert.ok(
    actual.every((x, i) => Math.abs(x - expected[i]!) < 1e-6),
    `${what}: the stored vector is not the embedder's`,
  );
}

async function assertBoth(id: unknown, title: string, body: string, what: string) {
  const row = await storedOf(id);
  assertSameVector(row.title, await embedOne(tiny, title), `${what}: titleVector`);
  assertSameVector(row.body, await embedOne(body768, body), `${what}: bodyVector`);
  assert.equal(row.titleModel, tiny.modelId, `${what}: titleVectorModel`);
  assert.equal(row.bodyModel, "test-body-768", `${what}: bodyVectorModel`);
  assert.equal(row.bodyHash, createHash("md5").update(body).digest("hex"), `${what}: bodyHash`);
}

describe("writes embed every marked vector, each with its own embedder", () => {
  test("create, createMany, upsert and a nested create set both vectors in the row's statement", async () => {
    const a = await prisma.article.create({ data: { title: "brass lamp", body: "a lamp with a green shade" } });
    await assertBoth(a.id, "brass lamp", "a lamp with a green shade", "create");
    assert.equal("titleVectorPayload" in a && a.titleVectorPayload, null, "the payloads never stay");

    assert.deepEqual(
      await prisma.article.createMany({
        data: [
          { id: "many-1", title: "oak shelf", body: "holds many books" },
          { id: "many-2", title: "pine stool", body: "three short legs" },
        ],
      }),
      { count: 2 },
    );
    await assertBoth("many-1", "oak shelf", "holds many books", "createMany");
    await assertBoth("many-2", "pine stool", "three short legs", "createMany");

    await prisma.article.upsert({
      where: { id: "up-1" },
      create: { id: "up-1", title: "cedar rack", body: "hangs four coats" },
      update: {},
    });
    await assertBoth("up-1", "cedar rack", "hangs four coats", "upsert (create)");

    const product = await prisma.product.create({
      data: {
        sku: `sku-${randomBytes(3).toString("hex")}`,
        name: "Desk",
        description: "a walnut desk",
        price: "120.00",
        articles: { create: [{ id: "nested-1", title: "desk care", body: "oil it twice a year" }] },
      },
    });
    assert.equal(typeof product.id, "number");
    await assertBoth("nested-1", "desk care", "oil it twice a year", "nested create");
  });

  test("an update of one marking's source re-embeds that vector only; updateMany and upsert do the same", async () => {
    await prisma.article.create({ data: { id: "edit-1", title: "old title", body: "old body" } });
    const before = await storedOf("edit-1");
    const [titleCalls, bodyCalls] = [tiny.calls, body768.calls];

    await prisma.article.update({ where: { id: "edit-1" }, data: { title: "new title" } });
    let row = await storedOf("edit-1");
    assertSameVector(row.title, await embedOne(tiny, "new title"), "title re-embedded");
    assert.deepEqual(row.body, before.body, "bodyVector kept");
    assert.equal(body768.calls, bodyCalls, "the body embedder was not called for a title update");
    assert.equal(tiny.calls, titleCalls + 2, "one call for the update, one for the check above");

    await prisma.article.update({ where: { id: "edit-1" }, data: { body: { set: "new body" } } });
    row = await storedOf("edit-1");
    assertSameVector(row.body, await embedOne(body768, "new body"), "body re-embedded");
    assertSameVector(row.title, await embedOne(tiny, "new title"), "titleVector kept");

    await prisma.article.create({ data: { id: "edit-2", title: "second", body: "old body" } });
    const kept = (await storedOf("edit-2")).title;
    assert.deepEqual(
      await prisma.article.updateMany({ where: { id: { in: ["edit-1", "edit-2"] } }, data: { body: "shared body" } }),
      { count: 2 },
    );
    for (const id of ["edit-1", "edit-2"]) {
      assertSameVector((await storedOf(id)).body, await embedOne(body768, "shared body"), `updateMany ${id}`);
    }
    assert.deepEqual((await storedOf("edit-2")).title, kept, "updateMany of the body keeps the title vector");

    await prisma.article.upsert({
      where: { id: "edit-2" },
      create: { title: "x", body: "y" },
      update: { title: "up" },
    });
    row = await storedOf("edit-2");
    assertSameVector(row.title, await embedOne(tiny, "up"), "upsert (update) of the title");
    assertSameVector(row.body, await embedOne(body768, "shared body"), "upsert (update) keeps the body vector");
  });

  test("a caller's own vectors go under each vector field's name; a failed write leaves no row", async () => {
    const title = await embedOne(tiny, "anything");
    const body = await embedOne(body768, "else");
    await prisma.article.create({ data: { id: "own-1", title: "t", body: "b", titleVector: title, bodyVector: body } });
    const row = await storedOf("own-1");
    assertSameVector(row.title, title, "own titleVector");
    assertSameVector(row.body, body, "own bodyVector");
    await prisma.article.create({ data: { id: "own-3", title: "t", body: "b", embedding: title } });
    assertSameVector((await storedOf("own-3")).title, title, "embedding: the model's first vector");
    await assert.rejects(
      prisma.article.create({ data: { id: "own-2", title: "t", body: "b", bodyVector: title } }),
      /768/,
      "a 384-d vector for the 768-d field is refused",
    );
    await assert.rejects(
      prisma.article.create({ data: { id: "own-4", title: "t", body: "b", bodyVectorPayload: "[1]" } }),
      (e: unknown) => e instanceof InvalidArgumentError && /pass `bodyVector: number\[\]`/.test(e.message),
    );
    await assert.rejects(
      prisma.$transaction(async (tx) => {
        await tx.article.create({ data: { id: "rolled-back", title: "t", body: "b" } });
        throw new Error("abort");
      }),
      /abort/,
    );
    const ids = [...(await stored()).keys()];
    assert.ok(!ids.some((id) => ["own-2", "own-4", "rolled-back"].includes(id)), ids.join(", "));
  });
});

describe("searches name the vector", () => {
  const words = ["amber", "birch", "cobalt", "dune", "ember", "fjord", "glacier", "harbor", "indigo", "juniper"];
  let ids: string[] = [];
  before(async () => {
    const data = Array.from({ length: 48 }, (_, i) => ({
      id: `s-${String(i).padStart(2, "0")}`,
      title: `${words[i % 10]} ${words[Math.floor(i / 10) % 10]} title ${i}`,
      body: `${words[(i * 7) % 10]} body ${words[(i + 4) % 10]} text ${i}`,
      lang: i % 3 === 0 ? "de" : "en",
    }));
    await prisma.article.createMany({ data });
    ids = data.map((d) => d.id);
  });

  /** Brute force over one vector's stored values, among the rows Prisma's findMany finds for `where`. */
  async function oracle(field: "titleVector" | "bodyVector", where: object, query: string, take: number) {
    const matching = new Set((await base.article.findMany({ where, select: { id: true } })).map((r) => String(r.id)));
    const rows = [...(await stored())].flatMap(([id, s]) => {
      const vector = field === "titleVector" ? s.title : s.body;
      return vector && matching.has(id) ? [{ id, vector }] : [];
    });
    const q = await embedOne(field === "titleVector" ? tiny : body768, query);
    return bruteForce(rows, q)
      .slice(0, take)
      .map((r) => r.id);
  }

  for (const plan of ["exact", "hnsw"] as const) {
    test(`similaritySearch on each vector equals brute force (${plan})`, async () => {
      for (const vectorField of ["titleVector", "bodyVector"] as const) {
        for (const where of [{ id: { in: ids } }, { id: { in: ids }, lang: "en" }]) {
          const query = vectorField === "titleVector" ? "cobalt fjord title" : "glacier body text";
          const hits = await prisma.article.similaritySearch({ query, where, take: 8, plan, vectorField });
          assert.deepEqual(
            hits.map((h) => h.id),
            await oracle(vectorField, where, query, 8),
            `${vectorField} ${JSON.stringify(where)}`,
          );
          assert.equal("bodyVectorPayload" in hits[0]! || "titleVectorPayload" in hits[0]!, false);
        }
      }
    });
  }

  test("hybridSearch and explainSearch take vectorField; each vector has its own list and calibration", async () => {
    const where = { id: { in: ids } };
    const lists: string[][] = [];
    const calibrated: number[] = [];
    for (const vectorField of ["titleVector", "bodyVector"] as const) {
      // alpha 1: the fused list is ordered by the vector's similarity alone.
      const hybrid = await prisma.article.hybridSearch({
        query: "amber birch body",
        where,
        take: 5,
        vectorField,
        fusion: { type: "weighted", alpha: 1 },
        plan: "exact",
      });
      const ranked = hybrid.map((h) => String(h.id));
      assert.deepEqual(ranked, await oracle(vectorField, where, "amber birch body", 5), `hybrid on ${vectorField}`);
      lists.push(ranked);
      const { rows, plan } = await prisma.article.explainSearch({ query: "amber", where, vectorField, plan: "hnsw" });
      assert.ok(rows.length > 0);
      assert.equal(plan.kind, "hnsw-iterative", `${vectorField}: ${plan.reason}`);
      assert.ok(plan.recall.calibratedAt instanceof Date, `${vectorField} calibrated: ${plan.reason}`);
      calibrated.push(plan.recall.calibratedAt.getTime());
    }
    assert.notDeepEqual(lists[0], lists[1], "each search used its own vector");
    assert.notEqual(calibrated[0], calibrated[1], "each vector column has a calibration of its own");
    const text = await prisma.article.textSearch({ query: "juniper", where, take: 50 });
    assert.ok(text.length > 0, "full text is the model's one column, no vector named");
  });

  test("vectorField missing or unknown: InvalidArgumentError naming both, nothing embedded or sent", async () => {
    const [embeds, statements] = [tiny.calls + body768.calls, sent];
    const calls = [
      () => prisma.article.similaritySearch({ query: "amber" }),
      () => prisma.article.explainSearch({ query: "amber" }),
      () => prisma.article.hybridSearch({ query: "amber" }),
      () => prisma.article.similaritySearch({ query: "amber", vectorField: "bodyVectr" }),
      () => prisma.article.hybridSearch({ query: "amber", vectorField: "titleVectorPayload" }),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError, String(e));
        assert.match(e.message, /"titleVector" or "bodyVector"/);
        assert.deepEqual(e.issues[0]?.path, ["vectorField"]);
        return true;
      });
    }
    await assert.rejects(prisma.article.similaritySearch({ query: "amber", vectorField: 3 }), InvalidArgumentError);
    assert.equal(tiny.calls + body768.calls, embeds, "nothing embedded");
    assert.equal(sent, statements, "no statement sent");
    // On a model with one vector the name is optional, and checked when given.
    await prisma.product.similaritySearch({ query: "lamp", vectorField: "embedding", take: 1 });
    await assert.rejects(prisma.product.similaritySearch({ query: "lamp", vectorField: "x" }), /"embedding"/);
  });

  test("each vector column has its own HNSW index: one missing makes only its searches exact", async () => {
    await withPg((c) => c.query(`drop index "${schema}"."articles_body_vector_hnsw_idx"`));
    try {
      // A store of its own: the other's catalog read is remembered for a few seconds.
      const store = base.$extends(hybridStore({ embedder: tiny, embedders: { review: body768 } }));
      const body = await store.article.explainSearch({ query: "amber", vectorField: "bodyVector", plan: "hnsw" });
      assert.equal(body.plan.kind, "exact");
      assert.match(body.plan.reason, /no usable HNSW index on bodyVector/);
      const title = await store.article.explainSearch({ query: "amber", vectorField: "titleVector", plan: "hnsw" });
      assert.equal(title.plan.kind, "hnsw");
    } finally {
      await withPg((c) =>
        c.query(
          `create index "articles_body_vector_hnsw_idx" on "${schema}".articles using hnsw (body_vector vector_cosine_ops)`,
        ),
      );
    }
  });
});

describe("$reembed, bulk loads and the LlamaIndex store on a model with two vectors", () => {
  test("$reembed fills both vectors, and only the vector whose embedder changed", async () => {
    await base.article.createMany({
      data: [
        { id: "plain-1", title: "plain one", body: "written without the extension" },
        { id: "plain-2", title: "plain two", body: "also without it" },
      ],
    });
    assert.equal((await storedOf("plain-1")).title, null);
    const progress: string[] = [];
    const result = await prisma.$reembed({
      models: ["Article"],
      onProgress: (p: { model: string; vectorField: string; done: number; total: number }) => {
        progress.push(`${p.model}.${p.vectorField} ${p.done}/${p.total}`);
      },
    });
    assert.equal(result.embedded.Article, 4, JSON.stringify(result));
    assert.deepEqual(progress, ["Article.titleVector 2/2", "Article.bodyVector 2/2"]);
    await assertBoth("plain-1", "plain one", "written without the extension", "$reembed");
    await assertBoth("plain-2", "plain two", "also without it", "$reembed");

    const count = (await base.article.findMany({ select: { id: true } })).length;
    const other = tiny768("test-body-768-v2");
    const changed = base.$extends(hybridStore({ embedder: tiny, embedders: { review: other } }));
    const again = await changed.$reembed({ models: ["Article"] });
    assert.equal(again.embedded.Article, count, "every body vector, no title vector");
    const row = await storedOf("plain-1");
    assertSameVector(row.body, await embedOne(other, "written without the extension"), "the new body embedder");
    assert.equal(row.bodyModel, "test-body-768-v2");
    assert.equal(row.titleModel, tiny.modelId);
  });

  test("$bulkLoad drops both HNSW indexes and builds both again", async () => {
    const indexes = () =>
      withPg(async (c) => {
        const { rows } = await c.query(
          `select indexname from pg_indexes where schemaname = $1 and tablename = 'articles' and indexdef like '%hnsw%' order by 1`,
          [schema],
        );
        return rows.map((r: { indexname: string }) => r.indexname);
      });
    const both = ["articles_body_vector_hnsw_idx", "articles_titleVector_hnsw_idx"];
    assert.deepEqual(await indexes(), both);
    const during = await prisma.$bulkLoad(indexes, { models: ["Article"] });
    assert.deepEqual(during, [], "no index kept during the load");
    assert.deepEqual(await indexes(), both);
  });

  test("the LlamaIndex store refuses a node model with several vectors, naming them", () => {
    assert.throws(
      () => new PrismaHybridVectorStore({ prisma: base, nodeModel: "Article", embedder: tiny }),
      (e: unknown) =>
        e instanceof SchemaMismatchError && /marks 2 vector fields \(titleVector, bodyVector\)/.test(e.message),
    );
  });
});
