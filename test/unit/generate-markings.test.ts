/**
 * `/// @embed` markings and `generate`'s offline half: what is read from a schema, one clear
 * message per bad marking with nothing written, idempotence, and the drift check over what it
 * writes. The SQL itself runs against real databases in test/integration/your-models*.test.ts.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkMigrations } from "../../scripts/check-migrations.ts";
import { generateMigration } from "../../src/cli/generate-migration.ts";
import { InvalidSchemaError } from "../../src/errors.ts";
import { hybridSql } from "../../src/schema/hybrid-sql.ts";
import { readMarkings } from "../../src/schema/markings.ts";
import { readMigratedObjects } from "../../src/schema/migrated-objects.ts";
import { modelDbSchemas } from "../../src/schema/schema-models.ts";
import { runCli } from "../helpers/cli.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bundledSchema = readFileSync(join(root, "prisma/schema.prisma"), "utf8");
const fixture = join(root, "test/fixtures/your-models");
const temp = mkdtempSync(join(tmpdir(), "phs-generate-"));
after(() => rmSync(temp, { recursive: true, force: true }));

const REVIEW = new Map([["review", 768]]);

/** A copy of the fixture (schema and migrations) to generate into. */
function fixtureCopy(schema?: string): string {
  const dir = mkdtempSync(join(temp, "p-"));
  cpSync(fixture, dir, { recursive: true });
  if (schema !== undefined) writeFileSync(join(dir, "schema.prisma"), schema);
  return dir;
}

/** A small valid model, edited by each bad-marking case. */
const PRODUCT = `
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Product {
  id               Int     @id
  description      String
  price            Decimal
  /// @embed(from: description)
  embedding        Unsupported("vector(384)")?
  embeddingModel   String?
  embeddingPayload String?
}
`;

describe("@embed markings", () => {
  test("the bundled schema: Document embeds content with title + content full-text, Annotation rawText", () => {
    const { markings, issues } = readMarkings(bundledSchema);
    assert.deepEqual(issues, []);
    const summary = markings.map((m) => ({
      model: m.model,
      column: m.column,
      dimensions: m.dimensions,
      sources: m.sources.map((s) => s.name),
      fullText: m.fullText.map((s) => s.name),
      payload: m.payload.column,
      hash: m.hash?.column,
    }));
    assert.deepEqual(summary, [
      {
        model: "Document",
        column: "embedding",
        dimensions: 384,
        sources: ["content"],
        fullText: ["title", "content"],
        payload: "embeddingPayload",
        hash: "contentHash",
      },
      {
        model: "Annotation",
        column: "embedding",
        dimensions: 384,
        sources: ["rawText"],
        fullText: ["rawText"],
        payload: "embeddingPayload",
        hash: "contentHash",
      },
    ]);
  });

  test("the fixture: @map/@@map names, several sources, a second embedder, a user Document, two vectors on Article", () => {
    const { markings, issues } = readMarkings(readFileSync(join(fixture, "schema.prisma"), "utf8"), REVIEW);
    assert.deepEqual(issues, []);
    const product = markings.find((m) => m.model === "Product")!;
    assert.equal(product.table, "products");
    assert.equal(product.column, "description_embedding");
    assert.deepEqual(
      product.sources.map((s) => s.column),
      ["description_text"],
    );
    assert.equal(product.payload.column, "embedding_payload");
    const review = markings.find((m) => m.model === "Review")!;
    assert.equal(review.dimensions, 768);
    assert.equal(review.embedder, "review");
    assert.deepEqual(
      review.sources.map((s) => s.name),
      ["title", "body"],
    );
    assert.deepEqual(
      markings.map((m) => `${m.model}.${m.field}`),
      ["Product.embedding", "Review.bodyVector", "Document.embedding", "Article.titleVector", "Article.bodyVector"],
    );
    const [title, body] = markings.filter((m) => m.model === "Article");
    assert.deepEqual(
      [title, body].map((m) => [m?.column, m?.dimensions, m?.embedder, m?.payload.name, m?.fullText.length]),
      [
        ["titleVector", 384, "default", "titleVectorPayload", 2],
        ["body_vector", 768, "review", "bodyVectorPayload", 0],
      ],
      "one full-text column per model: the first marking's",
    );
  });

  // Each bad marking yields exactly one issue naming the model and field, and what to do.
  const bad: [string, string, RegExp][] = [
    ["unknown source field", PRODUCT.replace("from: description", "from: descripton"), /has no field "descripton"/],
    ["non-String source", PRODUCT.replace("from: description", "from: price"), /Product\.price is Decimal, not String/],
    [
      "dimension mismatch",
      PRODUCT.replace("vector(384)", "vector(768)"),
      /vector\(768\) but embedder "default" makes 384/,
    ],
    [
      "missing extension",
      PRODUCT.replace('url      = env("DATABASE_URL")', 'url      = env("DATABASE_URL")\n  extensions = [pg_trgm]'),
      /extensions \[pg_trgm\] without vector/,
    ],
    ["missing payload field", PRODUCT.replace("  embeddingPayload String?\n", ""), /add "embeddingPayload String\?"/],
    [
      "unknown embedder",
      PRODUCT.replace("from: description", 'from: description, embedder: "big"'),
      /unknown embedder/,
    ],
    ["no dimensions", PRODUCT.replace("vector(384)", "vector"), /has no dimensions/],
    [
      "not a vector field",
      PRODUCT.replace(
        "/// @embed(from: description)\n  embedding",
        "/// @embed(from: description)\n  price2 String\n  embedding",
      ),
      /not Unsupported\("vector\(N\)"\)/,
    ],
    ["unreadable syntax", PRODUCT.replace("from: description", "from description"), /cannot read/],
    ["unknown argument", PRODUCT.replace("from: description", "from: description, dims: 3"), /unknown argument "dims"/],
  ];
  for (const [name, schema, message] of bad) {
    test(`${name}: one issue, no markings`, () => {
      const { markings, issues } = readMarkings(schema);
      assert.equal(issues.length, 1, JSON.stringify(issues));
      assert.match(issues[0]!.message, message);
      assert.deepEqual(markings, []);
    });
  }
});

describe("generate", () => {
  test("the bundled migrations already create everything the bundled markings need", () => {
    const parts = hybridSql(readMarkings(bundledSchema).markings, readMigratedObjects(join(root, "prisma/migrations")));
    assert.deepEqual(parts, []);
  });

  test("a marking's new source on a migrated field: the function is replaced, its trigger kept", () => {
    const edited = bundledSchema.replace(
      "@embed(from: rawText, hash: contentHash)",
      "@embed(from: label, hash: contentHash)",
    );
    const parts = hybridSql(readMarkings(edited).markings, readMigratedObjects(join(root, "prisma/migrations")));
    assert.equal(parts.length, 1);
    assert.match(parts[0]!.sql, /^CREATE OR REPLACE FUNCTION "phs_annotation_before_write"\(\)/);
    assert.match(parts[0]!.sql, /md5\(NEW\."label"\)/);
    assert.match(parts[0]!.sql, /NEW\."label" IS DISTINCT FROM OLD\."label"/);
    assert.doesNotMatch(parts[0]!.sql, /rawText|CREATE TRIGGER/);
  });

  test("@@schema: tables, functions and indexes in that PostgreSQL schema", () => {
    const inventory = PRODUCT.replace(
      "  embeddingPayload String?\n}",
      '  embeddingPayload String?\n\n  @@schema("inventory")\n}',
    );
    const sql = hybridSql(readMarkings(inventory).markings, readMigratedObjects(join(temp, "none")))
      .map((p) => p.sql)
      .join("\n");
    assert.match(sql, /CREATE FUNCTION "inventory"\."phs_product_embedding_before_write"\(\)/);
    assert.match(sql, /BEFORE INSERT OR UPDATE ON "inventory"\."Product"/);
    assert.match(sql, /EXECUTE FUNCTION "inventory"\."phs_product_embedding_before_write"\(\)/);
    assert.match(sql, /CREATE INDEX "Product_embedding_hnsw_idx" ON "inventory"\."Product" USING hnsw/);
    assert.match(sql, /ALTER TABLE "inventory"\."Product" ADD COLUMN "searchVector"/);
  });

  test("@@schema: the same table name in two schemas gets its own objects in each, once", async () => {
    const model = (name: string, schema: string) =>
      [
        `model ${name} {`,
        "  id               Int    @id",
        "  description      String",
        "  /// @embed(from: description)",
        '  embedding        Unsupported("vector(384)")?',
        "  embeddingModel   String?",
        "  embeddingPayload String?",
        '  @@map("Product")',
        `  @@schema("${schema}")`,
        "}",
      ].join("\n");
    const twice = `${PRODUCT.split("model Product")[0]}\n${model("ProductA", "a")}\n${model("ProductB", "b")}\n`;
    const { markings, issues } = readMarkings(twice);
    assert.deepEqual(issues, []);
    assert.deepEqual(
      markings.map((m) => `${m.dbSchema}.${m.table}`),
      ["a.Product", "b.Product"],
    );
    // "a" migrated first; then "b" is marked: its objects are not "a"'s, though the names are alike.
    const dir = mkdtempSync(join(temp, "two-schemas-"));
    const head = PRODUCT.split("model Product")[0];
    writeFileSync(join(dir, "schema.prisma"), `${head}\n${model("ProductA", "a")}\n`);
    const first = await generateMigration({ schema: join(dir, "schema.prisma") });
    assert.match(readFileSync(first.file!, "utf8"), /"a"\."Product"/);
    writeFileSync(join(dir, "schema.prisma"), twice);
    const second = await generateMigration({ schema: join(dir, "schema.prisma") });
    const sql = readFileSync(second.file!, "utf8");
    assert.doesNotMatch(sql, /"a"\./);
    assert.match(sql, /CREATE FUNCTION "b"\."phs_product_embedding_before_write"/);
    assert.match(sql, /ON "b"\."Product" USING hnsw/);
    assert.match(sql, /ON "b"\."Product" USING gin/);
    assert.match(sql, /ALTER TABLE "b"\."Product" ADD COLUMN "searchVector"/);
    const third = await generateMigration({ schema: join(dir, "schema.prisma") });
    assert.deepEqual(third.parts, []);
  });

  test("a table of the default schema counts as migrated whether a migration qualifies it or not", () => {
    const dir = mkdtempSync(join(temp, "qualified-"));
    const parts = hybridSql(readMarkings(PRODUCT).markings, readMigratedObjects(join(temp, "none")));
    mkdirSync(join(dir, "20270101000000_x"));
    // As a hand-written migration might: every name qualified with "public".
    const qualified = parts
      .map((p) => p.sql)
      .join("\n")
      .replaceAll('ON "Product"', 'ON "public"."Product"')
      .replaceAll('ALTER TABLE "Product"', 'ALTER TABLE "public"."Product"');
    assert.match(qualified, /"public"\."Product" ADD COLUMN/);
    writeFileSync(join(dir, "20270101000000_x", "migration.sql"), qualified);
    assert.deepEqual(hybridSql(readMarkings(PRODUCT).markings, readMigratedObjects(dir)), []);
    // A later Prisma diff drops the column unqualified (PostgreSQL drops its GIN index with it):
    // generate adds both again.
    mkdirSync(join(dir, "20270102000000_diff"));
    writeFileSync(
      join(dir, "20270102000000_diff", "migration.sql"),
      'ALTER TABLE "Product" DROP COLUMN "searchVector";',
    );
    assert.deepEqual(
      hybridSql(readMarkings(PRODUCT).markings, readMigratedObjects(dir)).map((p) => p.sql.split(" ADD ")[0]),
      ['ALTER TABLE "Product"', 'CREATE INDEX "Product_searchVector_idx" ON "Product" USING gin ("searchVector");'],
    );
  });

  test("modelDbSchemas: each model's @@schema, none for a model without one", () => {
    const schema = readFileSync(join(root, "test/fixtures/multi-schema/schema.prisma"), "utf8");
    assert.deepEqual(
      [...modelDbSchemas(schema)],
      [
        ["Brand", "public"],
        ["Item", "catalog"],
      ],
    );
    assert.deepEqual(
      [...modelDbSchemas(bundledSchema)],
      [
        ["Document", undefined],
        ["Annotation", undefined],
      ],
    );
  });

  test("the multi-schema fixture: every table, function and trigger function named with its schema", () => {
    const schema = readFileSync(join(root, "test/fixtures/multi-schema/schema.prisma"), "utf8");
    const migrated = readMigratedObjects(join(root, "test/fixtures/multi-schema/migrations"));
    const sql = hybridSql(readMarkings(schema).markings, migrated)
      .map((p) => p.sql)
      .join("\n");
    const tables = [...sql.matchAll(/(?:ON|ALTER TABLE|FUNCTION) ("[^"]+"(?:\."[^"]+")?)/g)].map((m) => m[1]!);
    assert.ok(tables.length >= 10, tables.join(" "));
    assert.deepEqual(
      tables.filter((t) => !/^"(public|catalog)"\./.test(t)),
      [],
    );
    assert.doesNotMatch(sql, /::vector/, "the write path names no type: any search_path finds it");
  });

  test("a schema folder: migrations next to the file with the datasource", async () => {
    const dir = mkdtempSync(join(temp, "folder-"));
    cpSync(join(fixture, "migrations"), join(dir, "prisma/schema/migrations"), { recursive: true });
    const [head, models] = readFileSync(join(fixture, "schema.prisma"), "utf8").split("/// A shop's product");
    mkdirSync(join(dir, "prisma/schema/models"), { recursive: true });
    writeFileSync(join(dir, "prisma/schema/main.prisma"), head!);
    writeFileSync(join(dir, "prisma/schema/models/shop.prisma"), `/// A shop's product${models}`);
    const result = await generateMigration({ schema: join(dir, "prisma/schema"), embedders: REVIEW });
    assert.equal(result.migrationsDir, join(dir, "prisma/schema/migrations"));
    assert.equal(result.markings.length, 5);
  });

  test("writes one migration the drift check accepts, then nothing on a second run", async () => {
    const dir = fixtureCopy();
    const first = await generateMigration({ schema: join(dir, "schema.prisma"), embedders: REVIEW });
    assert.ok(first.file);
    const sql = readFileSync(first.file, "utf8");
    for (const name of [
      "products_description_embedding_hnsw_idx",
      "Review_bodyVector_hnsw_idx",
      "Document_embedding_hnsw_idx",
      "products_searchVector_idx",
      "phs_review_bodyVector_before_write",
    ]) {
      assert.ok(sql.includes(`"${name}"`), name);
    }
    assert.deepEqual(checkMigrations(join(dir, "migrations")), []);
    const second = await generateMigration({ schema: join(dir, "schema.prisma"), embedders: REVIEW });
    assert.equal(second.file, undefined);
    assert.deepEqual(second.parts, []);
    assert.equal(readdirSync(join(dir, "migrations")).length, 3, "init, the generated one, the lock file");
  });

  test("a table migration that uses vector(N) before any migration creates the extension: a warning naming it", async () => {
    const dir = fixtureCopy();
    const clean = await generateMigration({ schema: join(dir, "schema.prisma"), embedders: REVIEW, dryRun: true });
    assert.deepEqual(clean.warnings, [], "the fixture's diff was made with `extensions = [vector]`");
    const init = join(dir, "migrations", "20270101000000_init", "migration.sql");
    const withExtension = readFileSync(init, "utf8");
    writeFileSync(init, withExtension.replace(/CREATE EXTENSION[^;]*;/, ""));
    const late = await generateMigration({ schema: join(dir, "schema.prisma"), embedders: REVIEW, dryRun: true });
    assert.equal(late.warnings.length, 1);
    assert.match(
      late.warnings[0]!,
      /^migration 20270101000000_init creates a vector column before .*extensions = \[vector\]/,
    );
    assert.ok(
      late.parts.some((p) => /CREATE EXTENSION/.test(p.sql)),
      "generate still writes the extension",
    );
    const run = await runCli(["generate", "--schema", join(dir, "schema.prisma"), "--embedder", "review=768"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /^prisma-hybrid-store generate: warning: migration 20270101000000_init creates a vector column/,
    );
  });

  test("a later `prisma migrate diff` that drops a generated index fails the drift check", async () => {
    const dir = fixtureCopy();
    await generateMigration({ schema: join(dir, "schema.prisma"), embedders: REVIEW });
    cpSync(join(dir, "migrations"), join(dir, "with-drop"), { recursive: true });
    const drop = join(dir, "with-drop", "29990101000000_diff");
    cpSync(join(dir, "migrations", "20270101000000_init"), drop, { recursive: true });
    writeFileSync(join(drop, "migration.sql"), '-- DropIndex\nDROP INDEX "Review_bodyVector_hnsw_idx";\n');
    const problems = checkMigrations(join(dir, "with-drop"));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /Review_bodyVector_hnsw_idx/);
  });

  test("bad markings: InvalidSchemaError with every issue, nothing written", async () => {
    const schema = readFileSync(join(fixture, "schema.prisma"), "utf8")
      .replace("from: description,", "from: descripton,")
      .replace("/// @embed(from: body)", "/// @embed(from: pages)");
    const dir = fixtureCopy(schema);
    const before = readdirSync(join(dir, "migrations"));
    await assert.rejects(generateMigration({ schema: join(dir, "schema.prisma") }), (error: unknown) => {
      assert.ok(error instanceof InvalidSchemaError);
      assert.equal(error.code, "INVALID_SCHEMA");
      assert.deepEqual(
        error.issues.map((i) => i.path.join(".")),
        ["Product.embedding", "Review.bodyVector", "Document.embedding", "Article.bodyVector"],
      );
      return true;
    });
    assert.deepEqual(readdirSync(join(dir, "migrations")), before);
  });

  test("the command prints one line per bad marking, exits 1, writes nothing", async () => {
    const dir = fixtureCopy();
    const before = readdirSync(join(dir, "migrations"));
    const run = await runCli(["generate", "--schema", join(dir, "schema.prisma")]);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(run.stderr.trim().split("\n"), [
      'prisma-hybrid-store generate: Review.bodyVector @embed(embedder: "review"): unknown embedder; declare its dimensions (generate --embedder review=N)',
      'prisma-hybrid-store generate: Article.bodyVector @embed(embedder: "review"): unknown embedder; declare its dimensions (generate --embedder review=N)',
      "prisma-hybrid-store generate: 2 problem(s); nothing written.",
    ]);
    assert.deepEqual(readdirSync(join(dir, "migrations")), before);
    const check = await runCli([
      "generate",
      "--schema",
      join(dir, "schema.prisma"),
      "--embedder",
      "review=768",
      "--check",
    ]);
    assert.equal(check.code, 1);
    assert.match(
      check.stderr,
      /18 step\(s\) for Product\.embedding, Review\.bodyVector, Document\.embedding, Article\.titleVector, Article\.bodyVector not migrated yet/,
    );
    assert.deepEqual(readdirSync(join(dir, "migrations")), before);
    const ok = await runCli(["generate", "--schema", join(dir, "schema.prisma"), "--embedder", "review=768"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /Marked fields: Product\.embedding, Review\.bodyVector, Document\.embedding, Article\.titleVector, Article\.bodyVector\. Wrote .*\(18 step\(s\)\)/,
    );
    const again = await runCli([
      "generate",
      "--schema",
      join(dir, "schema.prisma"),
      "--embedder",
      "review=768",
      "--check",
    ]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Nothing to generate/);
  });
});
