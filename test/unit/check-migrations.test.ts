import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkMigrations } from "../../scripts/check-migrations.ts";
import { indexMigrationSql } from "../../src/cli/index-migration.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bundled = join(root, "prisma/migrations");
const temp = mkdtempSync(join(tmpdir(), "phs-check-migrations-"));
after(() => rmSync(temp, { recursive: true, force: true }));

/** The bundled migrations plus `extra` ({ name: sql }), in a new directory. */
function migrationsWith(extra: Record<string, string>, options: { bundled?: boolean } = {}): string {
  const dir = mkdtempSync(join(temp, "m-"));
  if (options.bundled ?? true) cpSync(bundled, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

const summary = (dir: string) => checkMigrations(dir).map((p) => `${p.migration}:${p.line} ${p.message}`);

describe("check-migrations", () => {
  test("the bundled migrations pass", () => {
    assert.deepEqual(checkMigrations(bundled), []);
  });

  test("fails on what `prisma migrate diff` proposes: dropping the indexes and column it cannot see", () => {
    const dir = migrationsWith({
      "20270101000000_diff": [
        "-- DropIndex",
        'DROP INDEX "Document_embedding_hnsw_idx";',
        "",
        "-- DropIndex",
        'DROP INDEX "public"."Annotation_metadata_idx";',
        "",
        "-- AlterTable",
        'ALTER TABLE "Document" DROP COLUMN "searchVector",',
        '  ADD COLUMN "summary" TEXT;',
      ].join("\n"),
    });
    const problems = summary(dir);
    assert.equal(problems.length, 4, problems.join("\n"));
    assert.match(
      problems[0]!,
      /^20270101000000_diff:2 drops index "Document_embedding_hnsw_idx" \(created by 20261125000400_hnsw_graph_quality\)/,
    );
    assert.match(problems[1]!, /^20270101000000_diff:5 drops index "Annotation_metadata_idx"/);
    // Dropping the column drops its GIN index too.
    assert.ok(problems.some((p) => /:8 drops column "Document"."searchVector"/.test(p)));
    assert.ok(problems.some((p) => /:8 drops index "Document_searchVector_idx"/.test(p)));
    assert.ok(problems.every((p) => p.includes("delete the statement, or recreate the object after it")));
  });

  test("accepts a drop that the same or a later migration undoes", () => {
    const dir = migrationsWith({
      "20270101000000_retune": [
        'DROP INDEX "Document_embedding_hnsw_idx";',
        'CREATE INDEX "Document_embedding_hnsw_idx" ON "Document" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 24);',
        'ALTER TABLE "Annotation" DROP COLUMN "searchVector";',
      ].join("\n"),
      "20270102000000_restore": [
        'ALTER TABLE "Annotation" ADD COLUMN "searchVector" tsvector',
        "  GENERATED ALWAYS AS (to_tsvector('simple', \"rawText\")) STORED;",
        'CREATE INDEX "Annotation_searchVector_idx" ON "Annotation" USING gin ("searchVector");',
      ].join("\n"),
    });
    assert.deepEqual(summary(dir), []);
  });

  test("accepts the migrations `prisma-hybrid-store index --halfvec` and `--vector` write", () => {
    const dir = migrationsWith({
      "20270101000000_halfvec_index": indexMigrationSql("halfvec"),
      "20270102000000_vector_index": indexMigrationSql("vector"),
    });
    assert.deepEqual(summary(dir), []);
  });

  test("fails when the trigger functions, triggers, tables or extension go", () => {
    const cascade = summary(
      migrationsWith({ "20270101000000_x": 'DROP FUNCTION IF EXISTS "phs_document_before_write"() CASCADE;' }),
    );
    assert.equal(cascade.length, 2, cascade.join("\n"));
    assert.match(cascade.join("\n"), /drops function "phs_document_before_write"/);
    assert.match(cascade.join("\n"), /drops trigger "Document_before_write" on "Document"/);

    const trigger = summary(
      migrationsWith({ "20270101000000_x": 'DROP TRIGGER "Annotation_before_write" ON "Annotation";' }),
    );
    assert.equal(trigger.length, 1);

    const table = summary(migrationsWith({ "20270101000000_x": 'DROP TABLE "Annotation";' }));
    for (const name of ["Annotation_embedding_hnsw_idx", "Annotation_searchVector_idx", "Annotation_metadata_idx"]) {
      assert.ok(
        table.some((p) => p.includes(`drops index "${name}"`)),
        `${name} in ${table.join("\n")}`,
      );
    }
    assert.ok(table.some((p) => p.includes('drops column "Annotation"."searchVector"')));
    assert.ok(table.some((p) => p.includes('drops trigger "Annotation_before_write"')));

    const extension = summary(migrationsWith({ "20270101000000_x": "DROP EXTENSION vector;" }));
    assert.equal(extension.length, 1);
    assert.match(extension[0]!, /drops the "vector" extension/);
  });

  test("fails on a protected name even without the history that created it", () => {
    const dir = migrationsWith(
      { "0001_x": "drop index if exists my_embedding_hnsw_idx, other_idx;" },
      { bundled: false },
    );
    const problems = summary(dir);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^0001_x:1 drops index "my_embedding_hnsw_idx", which/);
  });

  test("ignores drop statements inside comments, strings and function bodies", () => {
    const dir = migrationsWith({
      "20270101000000_x": [
        '-- DROP INDEX "Document_embedding_hnsw_idx"',
        '/* DROP INDEX "Document_metadata_idx" /* nested */ */',
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS E'DROP INDEX \"Document_searchVector_idx\"\\x3B'",
        ";",
      ].join("\n"),
    });
    assert.deepEqual(summary(dir), []);
  });

  test("fails on a semicolon in a comment, a dollar-quoted body or a string, with its line", () => {
    const dir = migrationsWith({
      "20270101000000_semicolons": [
        "-- Adds f; see the docs.",
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$",
        "BEGIN",
        "  RETURN NEW;",
        "END",
        "$body$;",
        "COMMENT ON TABLE \"Document\" IS 'texts; and more';",
        "/* a; b */ SELECT 1;",
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
        "CREATE FUNCTION h() RETURNS int LANGUAGE plpgsql AS E'BEGIN RETURN 1\\x3B END';",
      ].join("\n"),
    });
    const problems = checkMigrations(dir);
    assert.deepEqual(
      problems.map((p) => [p.line, /inside (a [a-z -]+)\./.exec(p.message)?.[1]]),
      [
        [1, "a comment"],
        [4, "a dollar-quoted body"],
        [7, "a string literal"],
        [8, "a comment"],
      ],
    );
    assert.match(problems[1]!.message, /@prisma\/adapter-pg.*splitting it at every ";".*\\x3B/);
    assert.ok(problems.every((p) => p.file === join(dir, "20270101000000_semicolons", "migration.sql")));
  });

  test("the command exits 1 and names the file and line", () => {
    const dir = migrationsWith({ "20270101000000_diff": '\nDROP INDEX "Document_searchVector_idx";\n' });
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/check-migrations.ts", dir], {
      cwd: root,
      encoding: "utf8",
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /20270101000000_diff\/migration\.sql:2: drops index "Document_searchVector_idx"/);
    assert.match(run.stderr, /check-migrations: 1 problem\(s\)/);

    const ok = spawnSync(process.execPath, ["--import", "tsx", "scripts/check-migrations.ts"], {
      cwd: root,
      encoding: "utf8",
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /OK/);
  });
});
