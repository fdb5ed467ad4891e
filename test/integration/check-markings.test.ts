/**
 * checkDatabase derives what a ready database holds from the client schema's `@embed` markings,
 * with the names `generate` writes: on the bundled schema (Document/Annotation, migrated by the
 * bundled migrations, whose trigger names differ from generate's) and on a user's own models
 * (test/fixtures/your-models, in a PostgreSQL schema of its own). Each object is dropped in turn
 * inside a transaction that is rolled back, and the error names exactly it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { checkDatabase, type DatabaseReport, MigrationsPendingError } from "../../src/db/check.ts";
import { InvalidSchemaError } from "../../src/errors.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { createPrisma } from "../helpers/db.ts";
import { clientWithSchema, type MigratedFixture, migrateFixture } from "../helpers/fixture-schema.ts";

class Rollback extends Error {}

/** checkDatabase's answer (report or error) after `ddl`, in a transaction that is rolled back. */
async function checkAfter(client: PrismaClient, ddl: readonly string[]): Promise<unknown> {
  let result: unknown;
  await client
    .$transaction(async (tx) => {
      for (const statement of ddl) await tx.$executeRawUnsafe(statement);
      result = await checkDatabase(tx).catch((error: unknown) => error);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result;
}

async function expectMissing(client: PrismaClient, ddl: readonly string[], missing: readonly string[]) {
  const result = await checkAfter(client, ddl);
  assert.ok(result instanceof MigrationsPendingError, `${ddl.join("; ")}: ${String(result)}`);
  assert.deepEqual(result.missing, missing, ddl.join("; "));
  assert.match(result.message, /`npx prisma-hybrid-store generate`.*then `npx prisma migrate deploy`/);
}

async function expectWarnings(client: PrismaClient, ddl: readonly string[], patterns: readonly RegExp[]) {
  const result = await checkAfter(client, ddl);
  assert.ok(!(result instanceof Error), `${ddl.join("; ")}: ${String(result)}`);
  const { warnings } = result as DatabaseReport;
  assert.equal(warnings.length, patterns.length, warnings.join("\n"));
  for (const [i, p] of patterns.entries()) assert.match(warnings[i]!, p);
}

describe("checkDatabase on the bundled schema", () => {
  const prisma = createPrisma({ max: 2 });
  after(() => prisma.$disconnect());

  test("an intact database: no error, no warning", async () => {
    assert.deepEqual((await checkDatabase(prisma)).warnings, []);
  });

  test("the bundled write path counts under its own name; without it, it is named", async () => {
    const trigger = 'write-path trigger on "Document" ("embeddingPayload" -> "embedding")';
    await expectMissing(prisma, ['DROP TRIGGER "Document_before_write" ON "Document"'], [trigger]);
    await expectMissing(prisma, ['ALTER TABLE "Document" DISABLE TRIGGER "Document_before_write"'], [trigger]);
    await expectMissing(
      prisma,
      ['DROP FUNCTION "phs_annotation_before_write"() CASCADE'],
      ['write-path trigger on "Annotation" ("embeddingPayload" -> "embedding")'],
    );
  });

  test("a marking whose source changed, before generate's new function is deployed", async () => {
    const edited = clientWithSchema(
      (prisma as unknown as { _engineConfig: { inlineSchema: string } })._engineConfig.inlineSchema.replace(
        "@embed(from: rawText, hash: contentHash)",
        "@embed(from: label, hash: contentHash)",
      ),
    );
    try {
      await assert.rejects(checkDatabase(edited), (error: unknown) => {
        assert.ok(error instanceof MigrationsPendingError, String(error));
        assert.deepEqual(error.missing, [
          'write-path trigger on "Annotation" ("embeddingPayload" -> "embedding") watching "label"',
        ]);
        return true;
      });
    } finally {
      await edited.$disconnect();
    }
  });

  test("a marking's columns, the generated full-text column, the table", async () => {
    await expectMissing(
      prisma,
      ['ALTER TABLE "Annotation" DROP COLUMN "contentHash"'],
      ['column "Annotation"."contentHash"'],
    );
    await expectMissing(
      prisma,
      ['ALTER TABLE "Document" DROP COLUMN "embeddingModel"'],
      ['column "Document"."embeddingModel"'],
    );
    await expectMissing(
      prisma,
      ['ALTER TABLE "Document" DROP COLUMN "searchVector"'],
      ['column "Document"."searchVector"'],
    );
    await expectMissing(prisma, ['DROP TABLE "Annotation"'], ['table "Annotation"']);
  });

  test("a missing HNSW or GIN index is a warning", async () => {
    await expectWarnings(
      prisma,
      ['DROP INDEX "Document_embedding_hnsw_idx"', 'DROP INDEX "Document_searchVector_idx"'],
      [
        /^Index "Document_embedding_hnsw_idx" is missing: similarity searches on "Document" scan the whole table/,
        /^Index "Document_searchVector_idx" is missing: text searches on "Document" scan the whole table/,
      ],
    );
  });
});

describe("checkDatabase on a user's own models (test/fixtures/your-models)", () => {
  const schema = `phs_check_${randomBytes(3).toString("hex")}`;
  let fixture: MigratedFixture;
  let client: PrismaClient;
  const t = (table: string) => `"${schema}"."${table}"`;

  before(async () => {
    fixture = await migrateFixture({ name: "your-models", searchPath: schema, embedders: new Map([["review", 768]]) });
    client = clientWithSchema(fixture.schemaText, schema);
  });
  after(async () => {
    await client?.$disconnect();
    await fixture?.cleanUp();
  });

  test("an intact database: no error, no warning", async () => {
    assert.deepEqual((await checkDatabase(client)).warnings, []);
  });

  test("each write-path trigger, by trigger or by function", async () => {
    await expectMissing(
      client,
      [`DROP TRIGGER "products_description_embedding_before_write" ON ${t("products")}`],
      ['write-path trigger on "products" ("embedding_payload" -> "description_embedding")'],
    );
    await expectMissing(
      client,
      [`DROP FUNCTION "${schema}"."phs_review_bodyVector_before_write"() CASCADE`],
      ['write-path trigger on "Review" ("bodyVectorPayload" -> "bodyVector")'],
    );
  });

  test("each kind of column: mapped payload, hash, plain, source, full text, a vector of other dimensions", async () => {
    await expectMissing(
      client,
      [`ALTER TABLE ${t("products")} DROP COLUMN "embedding_payload"`],
      ['column "products"."embedding_payload"'],
    );
    await expectMissing(client, [`ALTER TABLE ${t("Review")} DROP COLUMN "bodyHash"`], ['column "Review"."bodyHash"']);
    await expectMissing(client, [`ALTER TABLE ${t("Review")} DROP COLUMN "stars"`], ['column "Review"."stars"']);
    // A source column feeds the generated full-text column, which goes with it.
    await expectMissing(
      client,
      [`ALTER TABLE ${t("Review")} DROP COLUMN "title" CASCADE`],
      ['column "Review"."title"', 'column "Review"."searchVector"'],
    );
    await expectMissing(
      client,
      [`ALTER TABLE ${t("Document")} DROP COLUMN "searchVector"`],
      ['column "Document"."searchVector"'],
    );
    await expectMissing(
      client,
      [`ALTER TABLE ${t("Document")} ALTER COLUMN "embedding" TYPE vector(3) USING NULL`],
      ['column "Document"."embedding" as vector(384) (it is vector(3))'],
    );
    await expectMissing(client, [`DROP TABLE ${t("Review")}`], ['table "Review"']);
  });

  test("indexes: missing HNSW or GIN, an HNSW of another distance, a halfvec HNSW that serves cosine", async () => {
    await expectWarnings(
      client,
      [`DROP INDEX "${schema}"."Review_bodyVector_hnsw_idx"`, `DROP INDEX "${schema}"."products_searchVector_idx"`],
      [
        /^Index "products_searchVector_idx" is missing: text searches on "products" scan/,
        /^Index "Review_bodyVector_hnsw_idx" is missing: similarity searches on "Review" scan/,
      ],
    );
    await expectWarnings(
      client,
      [
        `DROP INDEX "${schema}"."Document_embedding_hnsw_idx"`,
        `CREATE INDEX "l2_idx" ON ${t("Document")} USING hnsw ("embedding" vector_l2_ops)`,
      ],
      [/^Index "l2_idx" on "Document"."embedding" uses vector_l2_ops, but searches order by cosine distance/],
    );
    await expectWarnings(
      client,
      [
        `DROP INDEX "${schema}"."Document_embedding_hnsw_idx"`,
        `CREATE INDEX "half_idx" ON ${t("Document")} USING hnsw (("embedding"::halfvec(384)) halfvec_cosine_ops)`,
      ],
      [],
    );
  });

  test("a model with two vectors: each marking's trigger, column and HNSW index", async () => {
    await expectMissing(
      client,
      [`DROP TRIGGER "articles_body_vector_before_write" ON ${t("articles")}`],
      ['write-path trigger on "articles" ("bodyVectorPayload" -> "body_vector")'],
    );
    await expectMissing(
      client,
      [`ALTER TABLE ${t("articles")} DROP COLUMN "titleVector"`],
      ['column "articles"."titleVector"'],
    );
    await expectWarnings(
      client,
      [`DROP INDEX "${schema}"."articles_titleVector_hnsw_idx"`],
      [/^Index "articles_titleVector_hnsw_idx" is missing: similarity searches on "articles" scan/],
    );
  });

  test("a schema without markings: nothing to check, and a warning says so", async () => {
    const unmarked = clientWithSchema(fixture.schemaText.replaceAll("/// @embed", "/// embed"), schema);
    try {
      const { warnings } = await checkDatabase(unmarked);
      assert.deepEqual(warnings, ["The client's schema marks no field with /// @embed(...), so no table was checked."]);
    } finally {
      await unmarked.$disconnect();
    }
  });

  test("a marking generate would refuse fails the check with the same issue", async () => {
    const bad = clientWithSchema(fixture.schemaText.replace("@embed(from: body)", "@embed(from: bdy)"), schema);
    try {
      await assert.rejects(checkDatabase(bad), (error: unknown) => {
        assert.ok(error instanceof InvalidSchemaError, String(error));
        assert.deepEqual(error.issues, [
          { path: ["Document", "embedding"], message: '@embed(from: bdy): model Document has no field "bdy"' },
        ]);
        return true;
      });
    } finally {
      await bad.$disconnect();
    }
  });
});
