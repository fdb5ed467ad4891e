/**
 * Marked models in two PostgreSQL schemas (Prisma's multiSchema, test/fixtures/multi-schema):
 * `Brand` in the default schema, `Item` (`@@map("items")`) in "catalog", related across them,
 * pgvector in public. Both schemas are renamed per run, so neither is public: every table,
 * function and index `generate` writes must carry its schema, and the write path must work
 * with a search path that holds neither (it names no type). Checked with plain SQL against brute
 * force, the drift check, and checkDatabase through a client with the fixture's schema text;
 * then the extension through the fixture's own generated client: writes embed into each schema's
 * table, searches equal brute force over the stored vectors of findMany's rows.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { checkMigrations } from "../../scripts/check-migrations.ts";
import { generateMigration } from "../../src/cli/generate-migration.ts";
import { checkDatabase, MigrationsPendingError } from "../../src/db/check.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { hybridStore } from "../../src/index.ts";
import { databaseUrl, withPg } from "../helpers/db.ts";
import {
  clientWithSchema,
  type FixtureDelegate,
  type FixtureRow,
  importFixtureClient,
  type MigratedFixture,
  migrateFixture,
} from "../helpers/fixture-schema.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { bruteForce, gaussian, nearby, normalize, randomUnit, rng, vectorText } from "../helpers/vectors.ts";

const suffix = randomBytes(3).toString("hex");
const pub = `phs_ms_pub_${suffix}`;
const cat = `phs_ms_cat_${suffix}`;
let fixture: MigratedFixture;

const random = rng(31);
const normal = gaussian(random);
const unit = () => normalize(Array.from({ length: 384 }, normal));
const parse = (text: string): number[] => JSON.parse(text) as number[];
const asStored = (v: readonly number[]): number[] => v.map(Math.fround);

/** A connection whose search path is public only: the models' schemas are reached by name. */
const fromPublic = <T>(fn: (c: pg.Client) => Promise<T>) =>
  withPg(async (c) => {
    await c.query("set search_path to public");
    return fn(c);
  });

async function insertBrand(c: pg.Client, name: string, vector?: number[]) {
  const { rows } = await c.query(
    `insert into "${pub}"."Brand" (name, blurb, "embeddingPayload", "embeddingModel") values ($1, $2, $3, 'm')
     returning id, embedding::text as v, "embeddingPayload" as p`,
    [name, `${name} makes things`, vector && vectorText(vector)],
  );
  return rows[0] as { id: number; v: string | null; p: string | null };
}

async function insertItem(c: pg.Client, brandId: number, title: string | null, details: string, vector?: number[]) {
  const { rows } = await c.query(
    `insert into "${cat}".items ("brandId", title, details_text, "vectorPayload", "vectorModel")
     values ($1, $2, $3, $4, 'm') returning id, details_vector::text as v, "textHash" as hash`,
    [brandId, title, details, vector && vectorText(vector)],
  );
  return rows[0] as { id: number; v: string | null; hash: string | null };
}

before(async () => {
  fixture = await migrateFixture({ name: "multi-schema", searchPath: pub, rename: { public: pub, catalog: cat } });
});
after(() => fixture?.cleanUp());

describe("generate on models in two PostgreSQL schemas", () => {
  test("functions, triggers and indexes sit in each model's own schema", async () => {
    const objects = await withPg(async (c) => {
      const { rows } = await c.query(
        `select n.nspname::text as schema, 'function' as kind, p.proname::text as name
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = any($1)
         union all
         select n.nspname, 'trigger on ' || r.relname, g.tgname from pg_trigger g join pg_class r on r.oid = g.tgrelid
           join pg_namespace n on n.oid = r.relnamespace where n.nspname = any($1) and not g.tgisinternal
         union all
         select schemaname, 'index', indexname || ' ' || substring(indexdef from 'USING .*') from pg_indexes
          where schemaname = any($1) and indexdef ~ 'USING (hnsw|gin)'
         order by 1, 2, 3`,
        [[pub, cat]],
      );
      return rows.map((r: { schema: string; kind: string; name: string }) => `${r.schema} ${r.kind} ${r.name}`);
    });
    assert.deepEqual(objects, [
      `${cat} function phs_items_details_vector_before_write`,
      `${cat} index items_details_vector_hnsw_idx USING hnsw (details_vector vector_cosine_ops) WITH (m='16', ef_construction='128')`,
      `${cat} index items_searchVector_idx USING gin ("searchVector")`,
      `${cat} trigger on items items_details_vector_before_write`,
      `${pub} function phs_brand_embedding_before_write`,
      `${pub} index Brand_embedding_hnsw_idx USING hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='128')`,
      `${pub} index Brand_searchVector_idx USING gin ("searchVector")`,
      `${pub} trigger on Brand Brand_embedding_before_write`,
    ]);
  });

  test("a second run writes nothing; the drift check accepts, and fails on a qualified drop", async () => {
    const again = await generateMigration({ schema: join(fixture.dir, "schema.prisma") });
    assert.equal(again.file, undefined);
    assert.deepEqual(again.parts, []);
    assert.deepEqual(checkMigrations(fixture.migrationsDir), []);
    const withDrop = join(fixture.dir, "with-drop");
    cpSync(fixture.migrationsDir, withDrop, { recursive: true });
    mkdirSync(join(withDrop, "29990101000000_diff"));
    writeFileSync(
      join(withDrop, "29990101000000_diff", "migration.sql"),
      [
        `DROP INDEX "${cat}"."items_details_vector_hnsw_idx";`,
        `DROP TRIGGER "Brand_embedding_before_write" ON "${pub}"."Brand";`,
        `ALTER TABLE "${cat}"."items" DROP COLUMN "searchVector";`,
        "",
      ].join("\n"),
    );
    const problems = checkMigrations(withDrop).map((p) => `${p.line} ${p.message}`);
    for (const [line, what] of [
      [1, /drops index "items_details_vector_hnsw_idx"/],
      [2, /drops trigger "Brand_embedding_before_write"/],
      [3, /drops column "items"."searchVector"/],
    ] as const) {
      assert.ok(
        problems.some((p) => p.startsWith(`${line} `) && what.test(p)),
        `${what}: ${problems.join("\n")}`,
      );
    }
    assert.equal(readdirSync(fixture.migrationsDir).filter((n) => /^\d{14}_/.test(n)).length, 2);
  });
});

describe("the write path across schemas, with a search path that holds neither", () => {
  test("row and vector commit or roll back together; the payload never stays", async () => {
    await fromPublic(async (c) => {
      const vector = unit();
      await c.query("begin");
      const brand = await insertBrand(c, "Rolled", vector);
      assert.equal(brand.p, null);
      assert.deepEqual(asStored(parse(brand.v!)), asStored(vector));
      await insertItem(c, brand.id, "Lamp", "brass", unit());
      await c.query("rollback");
      const counts = await c.query(
        `select (select count(*) from "${pub}"."Brand" where name = 'Rolled')::int as brands,
                (select count(*) from "${cat}".items where title = 'Lamp')::int as items`,
      );
      assert.deepEqual(counts.rows[0], { brands: 0, items: 0 });
      const kept = await insertBrand(c, "Kept", vector);
      const read = await c.query(`select embedding::text as v from "${pub}"."Brand" where id = $1`, [kept.id]);
      assert.deepEqual(parse(read.rows[0].v), parse(kept.v!));
    });
  });

  test("an item in the other schema: its vector, md5 of title and details, a wrong size refused", async () => {
    await fromPublic(async (c) => {
      const brand = await insertBrand(c, "Acme", unit());
      for (const [title, details] of [
        ["Kettle", "steel, 1.7 l"],
        ["Mug", "stoneware"],
      ] as const) {
        const vector = unit();
        const item = await insertItem(c, brand.id, title, details, vector);
        assert.deepEqual(asStored(parse(item.v!)), asStored(vector));
        assert.equal(item.hash, createHash("md5").update(`${title} ${details}`).digest("hex"));
      }
      await assert.rejects(insertItem(c, brand.id, "Bad", "wrong size", unit().slice(1)), /expected 384 dimensions/);
      await c.query(`update "${cat}".items set details_text = 'changed' where title = 'Kettle'`);
      const { rows } = await c.query(
        `select details_vector is null as cleared, "vectorModel" as m from "${cat}".items where title = 'Kettle'`,
      );
      assert.deepEqual(rows[0], { cleared: true, m: null }, "never the vector of the old text");
    });
  });

  test("HNSW in the catalog schema answers like brute force", async () => {
    await fromPublic(async (c) => {
      const brand = await insertBrand(c, "Knn", unit());
      const centres = [randomUnit(normal), randomUnit(normal), randomUnit(normal)];
      for (let i = 0; i < 60; i++) {
        await insertItem(c, brand.id, `knn ${i}`, `item ${i}`, nearby(centres[i % 3]!, normal, 0.6));
      }
      const stored = (
        await c.query(`select id::text, details_vector::text as v from "${cat}".items where details_vector is not null`)
      ).rows.map((r: { id: string; v: string }) => ({ id: r.id, vector: parse(r.v) }));
      const query = nearby(centres[2]!, normal, 0.6);
      await c.query("begin");
      await c.query("set local enable_seqscan = off");
      await c.query("set local hnsw.ef_search = 400");
      const sql = `select id::text from "${cat}".items order by details_vector <=> $1::vector limit 10`;
      const plan = (await c.query(`explain ${sql}`, [vectorText(query)])).rows.map((r) => r["QUERY PLAN"]).join("\n");
      assert.match(plan, /items_details_vector_hnsw_idx/, plan);
      const found = (await c.query(sql, [vectorText(query)])).rows.map((r: { id: string }) => r.id);
      await c.query("commit");
      assert.deepEqual(
        found,
        bruteForce(stored, query)
          .slice(0, 10)
          .map((s) => s.id),
      );
    });
  });
});

describe("checkDatabase looks in each model's @@schema", () => {
  let client: PrismaClient;
  before(() => {
    client = clientWithSchema(fixture.schemaText);
  });
  after(() => client?.$disconnect());

  async function missingAfter(ddl: string): Promise<readonly string[]> {
    let missing: readonly string[] = [];
    await client
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe(ddl);
        const error = await checkDatabase(tx).catch((e: unknown) => e);
        assert.ok(error instanceof MigrationsPendingError, `${ddl}: ${String(error)}`);
        missing = error.missing;
        throw new Error("rollback");
      })
      .catch((e: unknown) => {
        if (!(e instanceof Error && e.message === "rollback")) throw e;
      });
    return missing;
  }

  test("intact: no error, no warning", async () => {
    assert.deepEqual((await checkDatabase(client)).warnings, []);
  });

  test("a missing object is named with its schema", async () => {
    assert.deepEqual(await missingAfter(`DROP TRIGGER "items_details_vector_before_write" ON "${cat}".items`), [
      `write-path trigger on "${cat}"."items" ("vectorPayload" -> "details_vector")`,
    ]);
    assert.deepEqual(await missingAfter(`ALTER TABLE "${pub}"."Brand" DROP COLUMN "searchVector"`), [
      `column "${pub}"."Brand"."searchVector"`,
    ]);
    assert.deepEqual(await missingAfter(`DROP TABLE "${cat}".items`), [`table "${cat}"."items"`]);
  });
});

describe("the extension through the fixture's own client (tables in two schemas)", () => {
  type Row = FixtureRow;
  interface Client {
    brand: FixtureDelegate;
    item: FixtureDelegate;
    $extends(extension: unknown): Client;
    $reembed(options?: object): Promise<{ embedded: Record<string, number> }>;
    $disconnect(): Promise<void>;
  }
  const tiny = tinyEmbedder();
  const embedOne = async (text: string) => (await tiny.embed([text]))[0]!;
  const words = ["amber", "birch", "cobalt", "dune", "ember", "fjord", "glacier", "harbor"];
  let base: Client;
  let store: Client;
  let brandIds: number[] = [];
  let itemIds: number[] = [];

  before(async () => {
    // Generated from the renamed copy: its @@schema names are this run's schemas.
    const { PrismaClient } = await importFixtureClient<Client>(fixture);
    base = new PrismaClient({
      adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2, idleTimeoutMillis: 1000 }),
    });
    store = base.$extends(hybridStore({ embedder: tiny }));
  });
  after(() => base?.$disconnect());

  /** Stored vectors by id, read with plain SQL from the model's own schema. */
  async function stored(table: string, column: string): Promise<Map<string, number[] | null>> {
    const { rows } = await fromPublic((c) => c.query(`select id::text as id, ${column}::text as v from ${table}`));
    return new Map((rows as { id: string; v: string | null }[]).map((r) => [r.id, r.v === null ? null : parse(r.v)]));
  }
  const brandVectors = () => stored(`"${pub}"."Brand"`, "embedding");
  const itemVectors = () => stored(`"${cat}".items`, "details_vector");
  const assertEmbedded = async (actual: number[] | null | undefined, text: string) => {
    assert.ok(actual, `${text}: no vector`);
    assert.deepEqual(asStored(actual), asStored(await embedOne(text)), text);
  };

  test("writes embed in each schema: a brand with nested items, createMany, an update of one source", async () => {
    const brand = await store.brand.create({
      data: {
        name: `Lumen ${suffix}`,
        blurb: "lamps and lights",
        items: {
          create: [
            { title: "Desk lamp", details: "brass, green shade" },
            { title: "Floor lamp", details: "pewter" },
          ],
        },
      },
      include: { items: true },
    });
    await assertEmbedded((await brandVectors()).get(String(brand.id)), "lamps and lights");
    const items = brand.items as Row[];
    assert.equal(items.length, 2);
    for (const item of items) {
      await assertEmbedded((await itemVectors()).get(String(item.id)), `${item.title} ${item.details}`);
    }
    await store.item.update({ where: { id: items[0]!.id }, data: { title: "Reading lamp", details: "brass arm" } });
    await assertEmbedded((await itemVectors()).get(String(items[0]!.id)), "Reading lamp brass arm");

    const second = await store.brand.create({ data: { name: `Umbra ${suffix}`, blurb: "shades" } });
    brandIds = [brand.id as number, second.id as number];
    const data = Array.from({ length: 40 }, (_, i) => ({
      brandId: brandIds[i % 2],
      title: `${words[i % 8]} ${i}`,
      details: `${words[(i * 3) % 8]} ${words[Math.floor(i / 8) % 8]} item`,
    }));
    assert.deepEqual(await store.item.createMany({ data }), { count: 40 });
    const rows = await base.item.findMany({ where: { brandId: { in: brandIds } }, orderBy: { id: "asc" } });
    itemIds = rows.map((r) => r.id as number);
    const vectors = await itemVectors();
    for (const row of rows) await assertEmbedded(vectors.get(String(row.id)), `${row.title} ${row.details}`);
  });

  /** Brute force over the stored vectors of the rows findMany finds for `where`. */
  async function oracle(delegate: "brand" | "item", where: object, query: string, take: number) {
    const ids = new Set((await base[delegate].findMany({ where, select: { id: true } })).map((r) => String(r.id)));
    const vectors = delegate === "brand" ? await brandVectors() : await itemVectors();
    const rows = [...vectors].flatMap(([id, vector]) => (vector && ids.has(id) ? [{ id, vector }] : []));
    return bruteForce(rows, await embedOne(query))
      .slice(0, take)
      .map((r) => r.id);
  }

  for (const plan of ["exact", "hnsw"] as const) {
    test(`similaritySearch equals brute force (${plan}), with relation filters across the schemas`, async () => {
      const cases: ["brand" | "item", object, string][] = [
        ["item", { id: { in: itemIds } }, "cobalt fjord item"],
        ["item", { id: { in: itemIds }, brand: { name: `Umbra ${suffix}` } }, "amber dune"],
        ["item", { brand: { is: { id: { in: brandIds }, blurb: { contains: "lamp" } } } }, "glacier"],
        ["brand", { id: { in: brandIds }, items: { some: { title: { startsWith: "ember" } } } }, "lights"],
        ["brand", { id: { in: brandIds }, items: { none: { details: { contains: "zzz" } } } }, "shades"],
      ];
      for (const [delegate, where, query] of cases) {
        const hits = await store[delegate].similaritySearch({ query, where, take: 6, plan });
        assert.deepEqual(
          hits.map((h) => String(h.id)),
          await oracle(delegate, where, query, 6),
          `${delegate} ${JSON.stringify(where)}`,
        );
        assert.ok(hits.every((h) => !("vectorPayload" in h) && !("embeddingPayload" in h)));
      }
    });
  }

  test("textSearch and hybridSearch: full text over the sources, rows only from findMany's", async () => {
    const where = { id: { in: itemIds }, brand: { name: `Lumen ${suffix}` } };
    const expected = (await base.item.findMany({ where }))
      .filter((r) => `${r.title} ${r.details}`.split(/\s+/).includes("birch"))
      .map((r) => r.id);
    assert.ok(expected.length > 0);
    const text = await store.item.textSearch({ query: "birch", where, take: 50 });
    assert.deepEqual(text.map((h) => h.id).sort(), [...expected].sort());
    const allowed = new Set((await base.item.findMany({ where, select: { id: true } })).map((r) => r.id));
    const hybrid = await store.item.hybridSearch({ query: "birch glacier", where, take: 8, plan: "exact" });
    assert.equal(hybrid.length, 8);
    assert.ok(hybrid.every((h) => allowed.has(h.id) && typeof h.score === "number"));
    assert.match(`${hybrid[0]!.title} ${hybrid[0]!.details}`, /birch|glacier/);
    const brands = await store.brand.textSearch({ query: "shades", where: { id: { in: brandIds } } });
    assert.deepEqual(
      brands.map((b) => b.id),
      [brandIds[1]],
    );
  });

  test("$reembed embeds an item written without the extension, in its schema", async () => {
    const plain = await base.item.create({ data: { brandId: brandIds[0], title: "Plain", details: "no hook" } });
    assert.equal((await itemVectors()).get(String(plain.id)), null);
    const result = await store.$reembed({ models: ["Item"] });
    assert.ok((result.embedded.Item ?? 0) >= 1, JSON.stringify(result));
    await assertEmbedded((await itemVectors()).get(String(plain.id)), "Plain no hook");
  });
});
