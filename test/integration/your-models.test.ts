/**
 * A user's own models (test/fixtures/your-models: Product with @map/@@map, Review with two
 * sources and a 768-dimensional vector, a user Document of its own), migrated with Prisma's
 * migration for the tables and what `generate` writes for the @embed markings, in a schema of
 * their own. Checked through plain SQL, against brute force and JavaScript's own reading of the
 * rows: the write path is atomic, the HNSW and GIN indexes exist and answer like an exact scan.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type pg from "pg";
import { withPg } from "../helpers/db.ts";
import { type MigratedFixture, migrateFixture } from "../helpers/fixture-schema.ts";
import { bruteForce, gaussian, nearby, normalize, randomUnit, rng, vectorText } from "../helpers/vectors.ts";

const schema = `phs_models_${randomBytes(3).toString("hex")}`;
let migrated: MigratedFixture | undefined;

/** Runs `fn` on a pg connection whose search path is the test schema (then public, for `vector`). */
const inSchema = <T>(fn: (c: pg.Client) => Promise<T>) =>
  withPg(async (c) => {
    await c.query(`set search_path to "${schema}", public`);
    return fn(c);
  });

const random = rng(20);
const normal = gaussian(random);
const unit = (dims: number) => normalize(Array.from({ length: dims }, normal));

before(async () => {
  migrated = await migrateFixture({ name: "your-models", searchPath: schema, embedders: new Map([["review", 768]]) });
});
after(async () => {
  await migrated?.cleanUp();
});

/** A product row written as the save hook writes: text and vector payload in one INSERT. */
async function insertProduct(c: pg.Client, sku: string, name: string, description: string, vector?: number[]) {
  const { rows } = await c.query(
    `insert into products (sku, name, description_text, price, embedding_payload, embedding_model)
     values ($1, $2, $3, 9.5, $4, $5) returning id, description_embedding::text as vector, embedding_payload`,
    [sku, name, description, vector && vectorText(vector), vector && "test-model"],
  );
  return rows[0] as { id: number; vector: string | null; embedding_payload: string | null };
}

const parse = (text: string): number[] => JSON.parse(text) as number[];
/** pgvector stores float4 and prints the shortest text that reads back as the same float4. */
const asStored = (v: readonly number[]): number[] => v.map(Math.fround);

describe("generate's migration on a user's own models", () => {
  test("creates the HNSW (m 16, ef_construction 128) and GIN indexes and the triggers", async () => {
    const indexes = await withPg(async (c) => {
      const { rows } = await c.query("select indexname, indexdef from pg_indexes where schemaname = $1", [schema]);
      return new Map(rows.map((r: { indexname: string; indexdef: string }) => [r.indexname, r.indexdef]));
    });
    for (const [name, column, dims] of [
      ["products_description_embedding_hnsw_idx", "description_embedding", 384],
      ["Review_bodyVector_hnsw_idx", '"bodyVector"', 768],
      ["Document_embedding_hnsw_idx", "embedding", 384],
      ["articles_titleVector_hnsw_idx", '"titleVector"', 384],
      ["articles_body_vector_hnsw_idx", "body_vector", 768],
    ] as const) {
      const def = indexes.get(name);
      assert.ok(def, `${name} (dims ${dims})`);
      assert.match(
        def,
        new RegExp(`USING hnsw \\(${column} vector_cosine_ops\\) WITH \\(m='16', ef_construction='128'\\)`),
      );
    }
    const gin = ["products_searchVector_idx", "Review_searchVector_idx", "Document_searchVector_idx"];
    for (const name of [...gin, "articles_searchVector_idx"]) {
      assert.match(indexes.get(name) ?? "", /USING gin \("searchVector"\)/, name);
    }
    const triggers = await withPg(async (c) => {
      const { rows } = await c.query(
        `select tgname from pg_trigger g join pg_class r on r.oid = g.tgrelid
         join pg_namespace n on n.oid = r.relnamespace where n.nspname = $1 and not tgisinternal order by 1`,
        [schema],
      );
      return rows.map((r: { tgname: string }) => r.tgname);
    });
    assert.deepEqual(triggers, [
      "Document_embedding_before_write",
      "Review_bodyVector_before_write",
      "articles_body_vector_before_write",
      "articles_titleVector_before_write",
      "products_description_embedding_before_write",
    ]);
  });

  test("row and vector are one statement: a rolled-back insert leaves neither, a committed one both", async () => {
    const vector = unit(384);
    await inSchema(async (c) => {
      await c.query("begin");
      const row = await insertProduct(c, "sku-rollback", "Lamp", "A brass desk lamp", vector);
      assert.equal(row.embedding_payload, null, "the payload never stays");
      assert.deepEqual(asStored(parse(row.vector!)), asStored(vector));
      await c.query("rollback");
      const { rows } = await c.query("select count(*)::int as n from products where sku = 'sku-rollback'");
      assert.equal(rows[0].n, 0);
      const committed = await insertProduct(c, "sku-commit", "Lamp", "A brass desk lamp", vector);
      const read = await c.query(
        "select description_embedding::text as v, embedding_model as m from products where id = $1",
        [committed.id],
      );
      assert.deepEqual(parse(read.rows[0].v), parse(committed.vector!));
      assert.equal(read.rows[0].m, "test-model");
    });
  });

  test("a changed source clears the vector; other fields and an explicit new vector keep or set it", async () => {
    await inSchema(async (c) => {
      const { id } = await insertProduct(c, "sku-edit", "Chair", "An oak chair", unit(384));
      await c.query("update products set name = 'Oak chair', stock = 3 where id = $1", [id]);
      let row = (
        await c.query(
          "select description_embedding is not null as has, embedding_model as m from products where id = $1",
          [id],
        )
      ).rows[0];
      assert.deepEqual(row, { has: true, m: "test-model" });
      await c.query("update products set description_text = 'A pine chair' where id = $1", [id]);
      row = (
        await c.query(
          "select description_embedding is not null as has, embedding_model as m from products where id = $1",
          [id],
        )
      ).rows[0];
      assert.deepEqual(row, { has: false, m: null }, "never the vector of the old text");
      const next = unit(384);
      await c.query("update products set description_text = 'A teak chair', embedding_payload = $2 where id = $1", [
        id,
        vectorText(next),
      ]);
      const v = (await c.query("select description_embedding::text as v from products where id = $1", [id])).rows[0].v;
      assert.deepEqual(asStored(parse(v)), asStored(next));
    });
  });

  test("a vector of the wrong size is refused by the statement, which writes nothing", async () => {
    await inSchema(async (c) => {
      await assert.rejects(insertProduct(c, "sku-bad", "Bad", "wrong size", unit(383)), /expected 384 dimensions/);
      const { rows } = await c.query("select count(*)::int as n from products where sku = 'sku-bad'");
      assert.equal(rows[0].n, 0);
    });
  });

  test("Review: a 768-d vector, md5 of title and body joined by a space, NULL title skipped", async () => {
    await inSchema(async (c) => {
      const { id: productId } = await insertProduct(c, "sku-review", "Kettle", "A steel kettle", unit(384));
      const cases: [string | null, string][] = [
        ["Great kettle", "Boils fast and quietly"],
        [null, "Handle gets hot"],
      ];
      for (const [title, body] of cases) {
        const vector = unit(768);
        const { rows } = await c.query(
          `insert into "Review" (id, "productId", title, body, stars, "bodyVectorPayload")
           values (gen_random_uuid()::text, $1, $2, $3, 4, $4) returning "bodyHash", "bodyVector"::text as v`,
          [productId, title, body, vectorText(vector)],
        );
        const text = [title, body].filter((s) => s !== null).join(" ");
        assert.equal(rows[0].bodyHash, createHash("md5").update(text).digest("hex"));
        assert.equal(parse(rows[0].v).length, 768);
      }
    });
  });

  test("HNSW answers like brute force on products (384) and reviews (768)", async () => {
    await inSchema(async (c) => {
      const centres = [randomUnit(normal), randomUnit(normal), randomUnit(normal)];
      for (let i = 0; i < 60; i++) {
        await insertProduct(c, `sku-knn-${i}`, `Item ${i}`, `item number ${i}`, nearby(centres[i % 3]!, normal, 0.6));
      }
      const { id: productId } = await insertProduct(c, "sku-knn-reviews", "Reviewed", "reviewed item", unit(384));
      for (let i = 0; i < 40; i++) {
        await c.query(
          `insert into "Review" (id, "productId", body, stars, "bodyVectorPayload") values ($1, $2, $3, 3, $4)`,
          [`r-${i}`, productId, `review ${i}`, vectorText(unit(768))],
        );
      }
      for (const [table, column, dims] of [
        ["products", "description_embedding", 384],
        ["Review", "bodyVector", 768],
      ] as const) {
        const stored = (
          await c.query(`select id::text, "${column}"::text as v from "${table}" where "${column}" is not null`)
        ).rows.map((r: { id: string; v: string }) => ({ id: r.id, vector: parse(r.v) }));
        const query = dims === 384 ? nearby(centres[1]!, normal, 0.6) : unit(768);
        await c.query("begin");
        await c.query("set local enable_seqscan = off");
        await c.query("set local hnsw.ef_search = 400");
        const sql = `select id::text from "${table}" order by "${column}" <=> $1::vector limit 10`;
        const plan = (await c.query(`explain ${sql}`, [vectorText(query)])).rows.map((r) => r["QUERY PLAN"]).join("\n");
        assert.match(plan, /_hnsw_idx/, plan);
        const found = (await c.query(sql, [vectorText(query)])).rows.map((r: { id: string }) => r.id);
        await c.query("commit");
        assert.deepEqual(
          found,
          bruteForce(stored, query)
            .slice(0, 10)
            .map((s) => s.id),
          table,
        );
      }
    });
  });

  test("full text covers the marked fields, as a word search in JavaScript finds them", async () => {
    await inSchema(async (c) => {
      await insertProduct(c, "sku-ft-1", "Walnut desk", "A wide table for work");
      await insertProduct(c, "sku-ft-2", "Stool", "Three legs of walnut");
      await insertProduct(c, "sku-ft-3", "Bench", "Pine, seats three");
      const all = (await c.query("select sku, name, description_text as d from products")).rows as {
        sku: string;
        name: string;
        d: string;
      }[];
      for (const word of ["walnut", "three", "desk"]) {
        const found = (
          await c.query(
            `select sku from products where "searchVector" @@ websearch_to_tsquery('english', $1) order by sku`,
            [word],
          )
        ).rows.map((r: { sku: string }) => r.sku);
        const expected = all
          .filter((r) => `${r.name} ${r.d}`.toLowerCase().split(/\W+/).includes(word))
          .map((r) => r.sku)
          .sort();
        assert.deepEqual(found, expected, word);
        assert.ok(expected.length > 0);
      }
    });
  });

  test("Article's two vectors: one INSERT sets both; a changed source clears only its own vector", async () => {
    await inSchema(async (c) => {
      const [title, body] = [unit(384), unit(768)];
      const { rows } = await c.query(
        `insert into articles (id, title, body, "titleVectorPayload", "bodyVectorPayload")
         values ('a-1', 'Lamps', 'How to pick a lamp', $1, $2)
         returning "titleVector"::text as t, body_vector::text as b, "bodyHash" as h`,
        [vectorText(title), vectorText(body)],
      );
      assert.deepEqual(asStored(parse(rows[0].t)), asStored(title));
      assert.deepEqual(asStored(parse(rows[0].b)), asStored(body));
      assert.equal(rows[0].h, createHash("md5").update("How to pick a lamp").digest("hex"));
      const read = async () =>
        (
          await c.query(
            `select "titleVector" is not null as t, body_vector is not null as b from articles where id = 'a-1'`,
          )
        ).rows[0];
      await c.query("update articles set title = 'Desk lamps' where id = 'a-1'");
      assert.deepEqual(await read(), { t: false, b: true }, "a new title clears the title vector only");
      await c.query(`update articles set "titleVectorPayload" = $1, body = 'Another body' where id = 'a-1'`, [
        vectorText(title),
      ]);
      assert.deepEqual(await read(), { t: true, b: false }, "a new body clears the body vector only");
    });
  });

  test("the user's own Document keeps its own fields and gets the same write path", async () => {
    await inSchema(async (c) => {
      const vector = unit(384);
      const { rows } = await c.query(
        `insert into "Document" (path, "ownerId", body, pages, "embeddingPayload", "embeddingModel")
         values ('/a.txt', 'u1', 'Hello', 3, $1, 'm') returning id, pages, embedding::text as v, "embeddingPayload" as p`,
        [vectorText(vector)],
      );
      assert.equal(rows[0].pages, 3);
      assert.equal(rows[0].p, null);
      assert.deepEqual(asStored(parse(rows[0].v)), asStored(vector));
    });
  });
});
