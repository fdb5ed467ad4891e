/**
 * Upgrading a database made by the bundled migrations: the user adds a field of their own to
 * Document and a Product model of their own marked with /// @embed
 * (test/fixtures/your-models-upgrade). Prisma's diff adds the column and the table; `generate`
 * adds only Product's objects, since the bundled migrations already made Document's and
 * Annotation's. No row, vector or hash changes, and every search returns what it did before.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { checkMigrations } from "../../scripts/check-migrations.ts";
import { generateMigration } from "../../src/cli/generate-migration.ts";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { bundledMigrations, databaseUrl, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { vectorText } from "../helpers/vectors.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const fixture = join(root, "test/fixtures/your-models-upgrade");
const schema = `phs_upgrade_${randomBytes(3).toString("hex")}`;
const temp = mkdtempSync(join(tmpdir(), "phs-upgrade-"));
const migrationsDir = join(temp, "migrations");
const base = new PrismaClient({
  adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2, idleTimeoutMillis: 1000 }, { schema }),
});
const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));

/** Applies the named migrations of `dir` in the test schema, each in one transaction. */
async function apply(dir: string, names: readonly string[]) {
  await withPg(async (c) => {
    for (const name of names) {
      await c.query("begin");
      await c.query(`set local search_path to "${schema}", public`);
      await c.query(readFileSync(join(dir, name, "migration.sql"), "utf8"));
      await c.query("commit");
    }
  });
}

/** Every stored row of both tables, vectors and hashes included, as text. */
const snapshot = () =>
  withPg(async (c) => {
    const rows = async (table: string, text: string) =>
      (
        await c.query(
          `select id, "${text}" as text, embedding::text as e, "embeddingModel" as m, "contentHash" as h,
                  "searchVector"::text as sv from "${schema}"."${table}" order by id`,
        )
      ).rows;
    return { documents: await rows("Document", "content"), annotations: await rows("Annotation", "rawText") };
  });

const TEXTS = [
  "cats sleep most of the day",
  "a cat on a warm mat",
  "dogs bark at the mailman",
  "the mailman delivers letters",
  "parrots can learn words",
  "fish swim in cold water",
  "a warm day at the beach",
  "letters from a cat lover",
];

/** Ids and scores of every kind of search, on both models. */
const searches = async () => ({
  similar: (await prisma.annotation.similaritySearch({ query: "cat on a mat", take: 5, exact: true })).map((r) => [
    r.id,
    r.distance,
  ]),
  text: (await prisma.annotation.textSearch({ query: "mailman", take: 5 })).map((r) => [r.id, r.rank]),
  hybrid: (await prisma.annotation.hybridSearch({ query: "warm cat", take: 5, exact: true })).map((r) => [
    r.id,
    r.score,
  ]),
  related: (
    await prisma.annotation.similaritySearch({
      query: "letters",
      take: 3,
      exact: true,
      where: { document: { label: "b" } },
    })
  ).map((r) => r.id),
  documents: (await prisma.document.textSearch({ query: "animals", take: 5 })).map((r) => r.id),
});

before(async () => {
  await withPg((c) => c.query(`create schema "${schema}"`));
  await apply(join(root, "prisma/migrations"), bundledMigrations());
  for (const [i, label] of ["a", "b"].entries()) {
    await prisma.document.create({
      data: {
        title: `animals ${label}`,
        content: TEXTS.slice(i * 4, i * 4 + 4).join(". "),
        label,
        annotations: { create: TEXTS.slice(i * 4, i * 4 + 4).map((rawText, position) => ({ rawText, position })) },
      },
    });
  }
});

after(async () => {
  await base.$disconnect();
  await withPg((c) => c.query(`drop schema if exists "${schema}" cascade`));
  rmSync(temp, { recursive: true, force: true });
});

describe("upgrading a bundled-migrations database to the generated form", () => {
  test("generate adds Product's objects only; old rows, vectors, hashes and search results stay", async () => {
    const rowsBefore = await snapshot();
    assert.equal(rowsBefore.annotations.length, 8);
    assert.ok(rowsBefore.annotations.every((r) => r.e !== null && r.h !== null));
    const searchesBefore = await searches();
    assert.ok(
      searchesBefore.text.length > 0 && searchesBefore.related.length > 0 && searchesBefore.documents.length > 0,
    );

    // The user's project: the bundled migrations, Prisma's diff for their edits, then generate.
    cpSync(join(root, "prisma/migrations"), migrationsDir, { recursive: true });
    cpSync(join(fixture, "migrations"), migrationsDir, { recursive: true });
    const result = await generateMigration({ schema: join(fixture, "schema.prisma"), migrations: migrationsDir });
    assert.ok(result.file);
    assert.deepEqual(
      result.markings.map((m) => m.model),
      ["Document", "Annotation", "Product"],
    );
    for (const part of result.parts) {
      assert.doesNotMatch(part.sql, /"Document"|"Annotation"/, "nothing for the bundled models again");
    }
    assert.deepEqual(checkMigrations(migrationsDir), []);
    const applied = new Set(bundledMigrations());
    const fresh = readdirSync(migrationsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !applied.has(e.name))
      .map((e) => e.name)
      .sort();
    assert.equal(fresh.length, 2);
    await apply(migrationsDir, fresh);

    assert.deepEqual(await snapshot(), rowsBefore);
    assert.deepEqual(await searches(), searchesBefore);
    const pinned = await withPg(
      async (c) => (await c.query(`select count(*)::int as n from "${schema}"."Document" where not pinned`)).rows[0].n,
    );
    assert.equal(pinned, 2, "the user's new field, with its default, on every old row");

    // Writes still embed on the bundled models, and Product has its write path and index.
    const created = await prisma.annotation.create({
      data: { rawText: "a new cat", documentId: rowsBefore.documents[0].id },
    });
    const embedded = await withPg(
      async (c) =>
        (await c.query(`select embedding is not null as e from "${schema}"."Annotation" where id = $1`, [created.id]))
          .rows[0].e,
    );
    assert.equal(embedded, true);
    const product = await withPg(async (c) => {
      const vector = vectorText(Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0)));
      const { rows } = await c.query(
        `insert into "${schema}".products (name, description, "embeddingPayload") values ('Lamp', 'brass lamp', $1)
         returning embedding is not null as e, "embeddingPayload" as p`,
        [vector],
      );
      return rows[0];
    });
    assert.deepEqual(product, { e: true, p: null });
    const hnsw = await withPg(
      async (c) =>
        (
          await c.query("select count(*)::int as n from pg_indexes where schemaname = $1 and indexname like '%hnsw%'", [
            schema,
          ])
        ).rows[0].n,
    );
    assert.equal(hnsw, 3);
  });
});
