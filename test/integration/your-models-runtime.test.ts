/**
 * The extension on a user's own models (test/fixtures/your-models: Product with @map/@@map and an
 * Int id, Review with two sources and a 768-d vector from a second embedder, a user Document),
 * through the fixture's own generated client, migrated in a schema of its own. Writes embed
 * atomically; searches equal brute force over the stored vectors, with Prisma's findMany as the
 * oracle of the filter, also for random wheres (the where fuzzer, test/fuzz); a strict tsc run
 * checks the search methods carry each model's own types.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { PrismaPg } from "@prisma/adapter-pg";
import type { Embedder } from "../../src/embed/embedder.ts";
import * as errors from "../../src/errors.ts";
import { InvalidArgumentError, InvalidSchemaError, SchemaMismatchError } from "../../src/errors.ts";
import { hybridStore } from "../../src/index.ts";
import { checkWheres, formatMismatch, totalChecked } from "../fuzz/campaign.ts";
import { insertYourModels } from "../fuzz/your-models.ts";
import { databaseUrl, withPg } from "../helpers/db.ts";
import {
  type FixtureClientModule,
  type FixtureDelegate,
  type FixtureRow,
  type MigratedFixture,
  migrateFixture,
} from "../helpers/fixture-schema.ts";
import { tiny768, tinyEmbedder } from "../helpers/store.ts";
import { bruteForce } from "../helpers/vectors.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const fixture = join(repoRoot, "test", "fixtures", "your-models");
const generated = join(fixture, "generated");
const schema = `phs_runtime_${randomBytes(3).toString("hex")}`;
const run = promisify(execFile);

type Row = FixtureRow;
type Delegate = FixtureDelegate;
interface FixtureClient {
  product: Delegate;
  review: Delegate;
  document: Delegate;
  $reembed(options?: object): Promise<{ embedded: Record<string, number> }>;
  $bulkLoad<T>(load: () => Promise<T>, options?: object): Promise<T>;
  $transaction<T>(fn: (tx: FixtureClient) => Promise<T>): Promise<T>;
  $extends(extension: unknown): FixtureClient;
  $disconnect(): Promise<void>;
  _engineConfig: { inlineSchema: string };
}

const tiny = tinyEmbedder();
const review768 = tiny768("test-review-768");
const embedOne = async (e: Embedder, text: string) => (await e.embed([text]))[0]!;

let migrated: MigratedFixture | undefined;
let newClient: () => FixtureClient;
let base: FixtureClient;
let prisma: FixtureClient;
let nulls: readonly unknown[];

before(async () => {
  // The fixture's client (test/fixtures/*/generated is ignored by git), and its tables migrated.
  await run(
    process.execPath,
    [
      join(repoRoot, "node_modules", "prisma", "build", "index.js"),
      "generate",
      "--schema",
      join(fixture, "schema.prisma"),
    ],
    {
      cwd: repoRoot,
    },
  );
  migrated = await migrateFixture({ name: "your-models", searchPath: schema, embedders: new Map([["review", 768]]) });
  const module = (await import(pathToFileURL(join(generated, "client.ts")).href)) as FixtureClientModule<FixtureClient>;
  const { PrismaClient } = module;
  nulls = [module.Prisma.DbNull, module.Prisma.JsonNull, module.Prisma.AnyNull];
  const clients: FixtureClient[] = [];
  newClient = () => {
    const c = new PrismaClient({
      adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2, idleTimeoutMillis: 1000 }, { schema }),
    });
    clients.push(c);
    return c;
  };
  base = newClient();
  prisma = base.$extends(hybridStore({ embedder: tiny, embedders: { review: review768 } }));
  after(async () => {
    for (const c of clients) await c.$disconnect();
  });
});

after(async () => {
  await migrated?.cleanUp();
});

/** Stored vectors by id, read with plain SQL. */
async function vectors(table: string, column: string, where = "true"): Promise<Map<string, number[] | null>> {
  return withPg(async (c) => {
    const { rows } = await c.query(
      `select id::text as id, "${column}"::text as v from "${schema}"."${table}" where ${where}`,
    );
    return new Map(
      (rows as { id: string; v: string | null }[]).map((r) => [
        r.id,
        r.v === null ? null : (JSON.parse(r.v) as number[]),
      ]),
    );
  });
}
async function vectorOf(table: string, column: string, id: unknown): Promise<number[] | null> {
  return (await vectors(table, column)).get(String(id)) ?? null;
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

let sku = 0;
const product = (description: string, extra: Row = {}) => ({
  sku: `sku-${++sku}-${randomBytes(2).toString("hex")}`,
  name: `Item ${sku}`,
  description,
  price: "10.00",
  ...extra,
});

describe("writes embed on any marked model", () => {
  test("create and update embed the marked sources; Review joins title and body with its own embedder", async () => {
    const p = await prisma.product.create({ data: product("a brass desk lamp with a green shade") });
    assert.equal(typeof p.id, "number");
    assert.equal("embeddingPayload" in p, true, "Prisma's own result shape");
    assertSameVector(
      await vectorOf("products", "description_embedding", p.id),
      await embedOne(tiny, "a brass desk lamp with a green shade"),
      "Product.create",
    );
    const r = await prisma.review.create({
      data: { productId: p.id, title: "Bright", body: "lights the whole desk", stars: 5 },
    });
    assertSameVector(
      await vectorOf("Review", "bodyVector", r.id),
      await embedOne(review768, "Bright lights the whole desk"),
      "Review.create: title and body joined by a space",
    );
    const stored = await withPg(async (c) => {
      const { rows } = await c.query(
        `select "bodyHash" as h, "bodyVectorModel" as m from "${schema}"."Review" where id = $1`,
        [r.id],
      );
      return rows[0] as { h: string; m: string };
    });
    assert.equal(stored.h, createHash("md5").update("Bright lights the whole desk").digest("hex"));
    assert.equal(stored.m, "test-review-768", "the model field names the review embedder");

    const untitled = await prisma.review.create({ data: { productId: p.id, title: null, body: "too dim", stars: 2 } });
    assertSameVector(
      await vectorOf("Review", "bodyVector", untitled.id),
      await embedOne(review768, "too dim"),
      "NULL title skipped",
    );

    await prisma.product.update({ where: { id: p.id }, data: { description: "a pewter floor lamp" } });
    assertSameVector(
      await vectorOf("products", "description_embedding", p.id),
      await embedOne(tiny, "a pewter floor lamp"),
      "Product.update of the source",
    );
    await prisma.review.update({ where: { id: r.id }, data: { title: "Dull", body: { set: "barely lights it" } } });
    assertSameVector(
      await vectorOf("Review", "bodyVector", r.id),
      await embedOne(review768, "Dull barely lights it"),
      "Review.update of both sources",
    );
    // One of two sources: the call does not hold the other's text, so no vector is sent and the
    // trigger clears the old one; $reembed gives it the vector of the joined text.
    await prisma.review.update({ where: { id: r.id }, data: { body: "lights nothing" } });
    assert.equal(await vectorOf("Review", "bodyVector", r.id), null);
    const result = await prisma.$reembed({ models: ["Review"] });
    assert.ok((result.embedded.Review ?? 0) >= 1, JSON.stringify(result));
    assert.deepEqual(
      Object.keys(result.embedded).sort(),
      ["Article", "Document", "Product", "Review", "Tag"],
      "a count per model of the client",
    );
    assert.equal(result.embedded.Product, 0, "only the models asked for");
    assertSameVector(
      await vectorOf("Review", "bodyVector", r.id),
      await embedOne(review768, "Dull lights nothing"),
      "$reembed joins the sources as the save hook does",
    );
  });

  test("createMany (one unnest INSERT) and Prisma's createMany in a transaction embed every row", async () => {
    const texts = ["an oak bookshelf", "a walnut side table", "a maple stool"];
    const data = texts.map((t) => product(t));
    assert.deepEqual(await prisma.product.createMany({ data }), { count: 3 });
    const rows = await base.product.findMany({ where: { sku: { in: data.map((d) => d.sku) } } });
    for (const row of rows) {
      assertSameVector(
        await vectorOf("products", "description_embedding", row.id),
        await embedOne(tiny, String(row.description)),
        `createMany ${String(row.sku)}`,
      );
    }
    const owner = rows[0]!;
    await prisma.$transaction(async (tx) => {
      await tx.review.createMany({
        data: [
          { productId: owner.id, title: "Solid", body: "holds many books", stars: 4 },
          { productId: owner.id, body: "wobbles", stars: 1 },
        ],
      });
    });
    const reviews = await base.review.findMany({ where: { productId: owner.id } });
    assert.equal(reviews.length, 2);
    for (const review of reviews) {
      const text = [review.title, review.body].filter((x) => x !== null).join(" ");
      assertSameVector(await vectorOf("Review", "bodyVector", review.id), await embedOne(review768, text), text);
    }
  });

  test("nested writes: Reviews created under a Product, a Product created under a Review", async () => {
    const p = await prisma.product.create({
      data: {
        ...product("a linen lampshade"),
        reviews: {
          create: [
            { title: "Soft", body: "diffuses the light", stars: 4 },
            { body: "frays", stars: 2 },
          ],
        },
      },
      include: { reviews: true },
    });
    const reviews = p.reviews as Row[];
    assert.equal(reviews.length, 2);
    for (const review of reviews) {
      const text = [review.title, review.body].filter((x) => x !== null).join(" ");
      assertSameVector(await vectorOf("Review", "bodyVector", review.id), await embedOne(review768, text), text);
    }
    const r = await prisma.review.create({
      data: { body: "great value", stars: 5, product: { create: product("a cedar coat rack") } },
    });
    assertSameVector(
      await vectorOf("products", "description_embedding", r.productId),
      await embedOne(tiny, "a cedar coat rack"),
      "nested Product",
    );
  });

  test("a failed transaction leaves no row and no vector; the user Document (Int id) embeds its body", async () => {
    const data = product("a rolled back rug");
    await assert.rejects(
      prisma.$transaction(async (tx) => {
        await tx.product.create({ data });
        throw new Error("abort");
      }),
      /abort/,
    );
    assert.equal((await base.product.findMany({ where: { sku: data.sku } })).length, 0);
    const doc = await prisma.document.create({
      data: { path: `/docs/${sku}`, ownerId: "u1", body: "quarterly report" },
    });
    assert.equal(typeof doc.id, "number");
    assertSameVector(
      await vectorOf("Document", "embedding", doc.id),
      await embedOne(tiny, "quarterly report"),
      "Document",
    );
    const [hit] = await prisma.document.similaritySearch({ query: "quarterly report", take: 1 });
    assert.equal(hit?.id, doc.id);
    assert.equal(hit?.ownerId, "u1");
    assert.ok(typeof hit?.similarity === "number" && hit.similarity > 0.99);
  });
});

describe("searches on any marked model", () => {
  const words = ["amber", "birch", "cobalt", "dune", "ember", "fjord", "glacier", "harbor", "indigo", "juniper"];
  let ids: number[] = [];
  before(async () => {
    // 60 products of distinct word pairs, prices 1..60, every third one with a 5-star review.
    const data = [];
    for (let i = 0; i < 60; i++) {
      const a = words[i % 10]!;
      const b = words[Math.floor(i / 10) % 10]!;
      data.push(product(`${a} ${b} search item ${i}`, { price: String(i + 1), name: `set ${a}` }));
    }
    await prisma.product.createMany({ data });
    const rows = await base.product.findMany({
      where: { sku: { in: data.map((d) => d.sku) } },
      orderBy: { id: "asc" },
    });
    ids = rows.map((r) => r.id as number);
    await prisma.review.createMany({
      data: ids.map((id, i) => ({ productId: id, body: `${words[i % 10]} review`, stars: i % 3 === 0 ? 5 : 2 })),
    });
  });

  /** Brute force over the stored vectors of the rows Prisma's findMany finds for `where`. */
  async function oracle(delegate: "product" | "review", where: object, query: string, take: number) {
    const table = delegate === "product" ? "products" : "Review";
    const column = delegate === "product" ? "description_embedding" : "bodyVector";
    const embedder = delegate === "product" ? tiny : review768;
    const matching = new Set((await base[delegate].findMany({ where, select: { id: true } })).map((r) => String(r.id)));
    const stored = await vectors(table, column);
    const rows = [...stored].flatMap(([id, vector]) => (vector && matching.has(id) ? [{ id, vector }] : []));
    return bruteForce(rows, await embedOne(embedder, query))
      .slice(0, take)
      .map((r) => r.id);
  }

  for (const plan of ["exact", "hnsw"] as const) {
    test(`similaritySearch equals brute force (${plan}) with where, relation filters both ways`, async () => {
      const cases: ["product" | "review", object][] = [
        ["product", { id: { in: ids }, price: { gt: 20 } }],
        ["product", { id: { in: ids }, reviews: { some: { stars: 5 } } }],
        ["review", { productId: { in: ids }, product: { price: { lte: 30 } } }],
        ["review", { product: { is: { id: { in: ids }, name: "set ember" } } }],
      ];
      for (const [delegate, where] of cases) {
        const query = delegate === "product" ? "cobalt fjord item" : "glacier review";
        const hits = await prisma[delegate].similaritySearch({ query, where, take: 8, plan });
        const got = hits.map((h) => String(h.id));
        assert.deepEqual(got, await oracle(delegate, where, query, 8), `${delegate} ${JSON.stringify(where)}`);
        for (const h of hits) assert.ok(typeof h.distance === "number" && typeof h.similarity === "number");
      }
    });
  }

  test("select and include are the model's own; explainSearch reports the plan", async () => {
    const hits = await prisma.review.similaritySearch({
      query: "amber review",
      where: { productId: { in: ids } },
      include: { product: { select: { name: true, price: true } } },
      take: 3,
    });
    assert.equal(hits.length, 3);
    for (const h of hits) {
      assert.match(String((h.product as Row).name), /^set /);
      assert.equal("bodyVectorPayload" in h, false, "the write-only payload is not returned");
    }
    const selected = await prisma.product.similaritySearch({
      query: "amber",
      where: { id: { in: ids } },
      select: { sku: true, reviews: { select: { stars: true } } },
      take: 2,
    });
    assert.deepEqual(Object.keys(selected[0]!).sort(), ["distance", "reviews", "similarity", "sku"]);
    // Pages by cursor on an Int id are the pages by skip.
    const page = { query: "birch", where: { id: { in: ids } }, plan: "exact" };
    const all = await prisma.product.similaritySearch({ ...page, take: 12 });
    const next = await prisma.product.similaritySearch({ ...page, take: 6, cursor: { id: all[5]!.id }, skip: 1 });
    assert.deepEqual(
      next.map((r) => r.id),
      all.slice(6, 12).map((r) => r.id),
    );
    const { plan } = await prisma.product.explainSearch({ query: "amber", where: { id: { in: ids } }, plan: "exact" });
    assert.equal(plan.kind, "exact");
  });

  test("textSearch and hybridSearch on Product (full text over name and description)", async () => {
    const where = { id: { in: ids } };
    const hits = await prisma.product.textSearch({ query: "juniper", where, take: 50 });
    const expected = (await base.product.findMany({ where })).filter((r) =>
      `${r.name} ${r.description}`.split(/\s+/).includes("juniper"),
    );
    assert.ok(expected.length > 0);
    assert.deepEqual(hits.map((h) => h.id).sort(), expected.map((r) => r.id).sort());
    assert.ok(hits.every((h) => typeof h.rank === "number"));
    const hybrid = await prisma.product.hybridSearch({ query: "juniper indigo", where, take: 5 });
    assert.equal(hybrid.length, 5);
    assert.ok(hybrid.every((h) => typeof h.score === "number" && ids.includes(h.id as number)));
    assert.match(String(hybrid[0]!.description), /juniper|indigo/);
  });

  test("$reembed and $bulkLoad take marked model names only", async () => {
    await assert.rejects(prisma.$reembed({ models: ["Nope"] }), InvalidArgumentError);
    await assert.rejects(
      prisma.$bulkLoad(async () => 1, { models: ["Product", "Nope"] }),
      InvalidArgumentError,
    );
    assert.equal(await prisma.$bulkLoad(async () => 7, { models: ["Product", "Review"] }), 7);
    const plain = await base.review.create({
      data: { productId: ids[0], body: "written without the extension", stars: 3 },
    });
    assert.equal(await vectorOf("Review", "bodyVector", plain.id), null);
    const result = await prisma.$reembed({ models: ["Review"] });
    assert.ok((result.embedded.Review ?? 0) >= 1);
    assertSameVector(
      await vectorOf("Review", "bodyVector", plain.id),
      await embedOne(review768, "written without the extension"),
      "$reembed on Review",
    );
  });
});

describe("markings and embedders at $extends", () => {
  test("a marking naming an embedder the store lacks, or of other dimensions, fails $extends", () => {
    const client = newClient();
    assert.throws(
      () => client.$extends(hybridStore({ embedder: tiny })),
      (e: unknown) => e instanceof InvalidSchemaError && /unknown embedder/.test(e.message),
    );
    assert.throws(
      () => client.$extends(hybridStore({ embedder: tiny, embedders: { review: tiny } })),
      (e: unknown) =>
        e instanceof InvalidSchemaError &&
        e.issues.some((i) => i.path.join(".") === "Review.bodyVector" && /384-dimensional/.test(i.message)),
    );
    assert.throws(() => hybridStore({ embedders: { default: tiny } }), InvalidArgumentError);
  });

  test("a model without a marking gets no embedding and its search methods throw", async () => {
    const client = newClient();
    client._engineConfig.inlineSchema = client._engineConfig.inlineSchema.replace("/// @embed(from: body)\n", "");
    const store = client.$extends(hybridStore({ embedder: tiny, embedders: { review: review768 } }));
    const doc = await store.document.create({ data: { path: `/unmarked/${sku++}`, ownerId: "u2", body: "no vector" } });
    assert.equal(await vectorOf("Document", "embedding", doc.id), null);
    await assert.rejects(store.document.similaritySearch({ query: "no vector" }), SchemaMismatchError);
  });
});

describe("the where fuzzer (test/fuzz) over Product, Review and the user's Document", () => {
  const seed = Number(process.env.PHS_FUZZ_SEED ?? 20261204);
  const n = Number(process.env.PHS_FUZZ_N_YOUR_MODELS ?? 250);
  test(`${n} random wheres per model (seed ${seed}) give findMany's rows, or a typed refusal where Prisma refuses`, async () => {
    const data = await insertYourModels(base, prisma, seed, { nulls, errors });
    try {
      const result = await checkWheres(data.models, { seed, n, maxMismatches: 20, log: (line) => console.log(line) });
      assert.equal(result.mismatches.length, 0, result.mismatches.map(formatMismatch).join("\n\n"));
      assert.equal(totalChecked(result.checked), 3 * n);
    } finally {
      await data.remove();
    }
  });
});

describe("types", () => {
  test("strict tsc: the search methods take each model's own where/select/include, and Article's vectorField", async () => {
    const consumer = join(generated, "consumer.ts");
    writeFileSync(
      consumer,
      `import { PrismaClient } from "./client.ts";
import { hybridStore } from "../../../../src/index.ts";

declare const base: PrismaClient;
const prisma = base.$extends(hybridStore());

export async function main() {
  const products = await prisma.product.similaritySearch({ query: "lamp", where: { price: { gt: 1 } } });
  const price: unknown = products[0]?.price;
  const similarity: number | undefined = products[0]?.similarity;
  const reviews = await prisma.review.similaritySearch({
    query: "bright",
    where: { product: { is: { stock: { gt: 0 } } } },
    include: { product: true },
  });
  const name: string | undefined = reviews[0]?.product.name;
  const picked = await prisma.product.hybridSearch({ query: "lamp", select: { sku: true } });
  const sku: string | undefined = picked[0]?.sku;
  // @ts-expect-error: select keeps only sku
  picked[0]?.name;
  const docs = await prisma.document.textSearch({ query: "report", where: { ownerId: "u1" } });
  const id: number | undefined = docs[0]?.id;
  // @ts-expect-error: the write-only payload of Review's marking is not in a search row
  reviews[0]?.bodyVectorPayload;
  // @ts-expect-error: nor Document's
  docs[0]?.embeddingPayload;
  const selected = await prisma.review.similaritySearch({
    query: "x",
    select: { bodyVectorPayload: true, product: { select: { embeddingPayload: true } } },
  });
  const asked: string | null | undefined = selected[0]?.product.embeddingPayload;
  const model: string | null | undefined = reviews[0]?.bodyVectorModel;
  // @ts-expect-error: Tag has no @embed marking, so its searches take no arguments it could pass
  await prisma.tag.similaritySearch({ query: "x" });
  // @ts-expect-error: as above
  await prisma.tag.hybridSearch({ query: "x" });
  // @ts-expect-error: as above
  await prisma.tag.textSearch({ query: "x", where: { name: "a" } });
  await prisma.tag.findMany({ where: { name: "a" } });
  // @ts-expect-error: Product has no field nosuch
  await prisma.product.similaritySearch({ query: "lamp", where: { nosuch: 1 } });
  // @ts-expect-error: stars is a Review field, not a Product one
  await prisma.product.similaritySearch({ query: "lamp", where: { stars: 5 } });
  await prisma.$reembed({ models: ["Review"] });
  const articles = await prisma.article.similaritySearch({ query: "x", vectorField: "bodyVector", where: { lang: "en" } });
  const title: string | undefined = articles[0]?.title;
  await prisma.article.hybridSearch({ query: "x", vectorField: "titleVector" });
  await prisma.article.explainSearch({ query: "x", vectorField: "titleVector" });
  // @ts-expect-error: Article marks two vectors, so a search names one
  await prisma.article.similaritySearch({ query: "x" });
  // @ts-expect-error: as above
  await prisma.article.hybridSearch({ query: "x", take: 3 });
  // @ts-expect-error: as above
  await prisma.article.explainSearch({ query: "x" });
  // @ts-expect-error: not a vector field of Article
  await prisma.article.similaritySearch({ query: "x", vectorField: "embedding" });
  await prisma.article.textSearch({ query: "x" });
  await prisma.product.similaritySearch({ query: "x", vectorField: "embedding" });
  // @ts-expect-error: Product's one vector field is embedding
  await prisma.product.similaritySearch({ query: "x", vectorField: "bodyVector" });
  await prisma.review.hybridSearch({ query: "x", vectorField: "bodyVector" });
  // @ts-expect-error: the client has no model Nope
  await prisma.$reembed({ models: ["Nope"] });
  return { price, similarity, name, sku, id, model, asked, title };
}
`,
    );
    const config = join(generated, "tsconfig.consumer.json");
    writeFileSync(
      config,
      JSON.stringify({
        extends: "../../../../tsconfig.json",
        include: ["consumer.ts"],
        compilerOptions: { noEmit: true },
      }),
    );
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    const { stdout } = await run(process.execPath, [tsc, "-p", config, "--pretty", "false"], { cwd: generated }).catch(
      (e: { stdout?: string }) => ({ stdout: `tsc failed:\n${e.stdout ?? String(e)}` }),
    );
    assert.equal(stdout.trim(), "", stdout);
  });
});
