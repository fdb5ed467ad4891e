import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidFilterError } from "../../src/errors.ts";
import { Prisma } from "../../src/generated/prisma/client.ts";
import { FILTER_LIMITS } from "../../src/query/parse-context.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import type { BundledModelName } from "../../src/schema/model-meta.ts";
import { compileWhere, projectSchema } from "../helpers/query.ts";

// Each case is a difference from Prisma 6.19's findMany that the where fuzzer (test/fuzz) found;
// the SQL here is the shape that gives findMany's rows (the fuzzer checks the rows themselves).
const schema = projectSchema();
const check = (model: BundledModelName, where: unknown, sql: string, params: unknown[]) =>
  assert.deepEqual(compileWhere(schema, model, where), { sql, params });
const refuses = (model: BundledModelName, where: unknown, message: RegExp) =>
  assert.throws(
    () => parseWhere(schema[model], schema, where),
    (e: unknown) => {
      assert.ok(e instanceof InvalidFilterError);
      assert.match(e.message, message);
      return true;
    },
  );
const A = "Annotation";
const D = "Document";
/** A Prisma field reference, shaped as the client's `prisma.annotation.fields.x` (a class instance). */
class FieldRef {
  constructor(
    readonly modelName: string,
    readonly name: string,
    readonly typeName: string,
  ) {}
}

describe("parity with Prisma 6.19 findMany", () => {
  test("a nested not negates each operator; not inside not is not negated twice", () => {
    check(A, { page: { not: { gt: 1, lt: 5 } } }, `(NOT ("t0"."page" > $1) AND NOT ("t0"."page" < $2))`, [1, 5]);
    check(A, { label: { not: { not: "a" } } }, `"t0"."label" <> $1`, ["a"]);
    check(A, { page: { not: { not: null } } }, `"t0"."page" IS NOT NULL`, []);
    check(A, { page: { not: { not: { gt: 1 } } } }, `"t0"."page" > $1`, [1]);
    refuses(A, { label: { not: { contains: "a", mode: "insensitive" } } }, /nested `not` inherits it/);
  });

  test("empty filters are no condition, even under NOT", () => {
    check(A, { NOT: { label: {} } }, "TRUE", []);
    check(A, { NOT: { AND: [] } }, "TRUE", []);
    check(A, { label: { not: {} } }, "TRUE", []);
    check(A, { AND: [{ page: 1 }, { OR: [] }] }, `"t0"."page" = $1`, [1]);
    check(A, { OR: [{ OR: [] }] }, "FALSE", []);
  });

  test("OR takes only an array", () => {
    refuses(A, { OR: { page: 1 } }, /OR takes an array/);
  });

  test("in: null and notIn: null are IS NULL and IS NOT NULL", () => {
    check(A, { label: { in: null } }, `"t0"."label" IS NULL`, []);
    check(A, { label: { notIn: null } }, `"t0"."label" IS NOT NULL`, []);
  });

  test("null on a required field is refused, as Prisma refuses it (found on the your-models fixture)", () => {
    refuses(A, { rawText: null }, /expected string, received null \("rawText" is required\) at where.rawText/);
    refuses(A, { createdAt: { equals: null } }, /"createdAt" is required/);
    refuses(D, { content: { not: null } }, /"content" is required/);
    refuses(A, { documentId: { in: null } }, /"documentId" is required/);
    refuses(A, { rawText: { not: { equals: null } } }, /"rawText" is required/);
    check(A, { label: null }, `"t0"."label" IS NULL`, []);
    check(A, { page: { not: null } }, `"t0"."page" IS NOT NULL`, []);
  });

  test("a fraction on an Int field is truncated", () => {
    check(A, { page: 2.5 }, `"t0"."page" = $1`, [2]);
    check(A, { page: { in: [1.9, -0.5] } }, `"t0"."page" IN ($1, $2)`, [1, 0]);
  });

  test("ISO date-times with a space or lower-case t/z", () => {
    const iso = "2026-01-01T00:00:00.000Z";
    check(A, { createdAt: "2026-01-01 00:00:00Z" }, `"t0"."createdAt" = $1`, [iso]);
    check(A, { createdAt: "2026-01-01t00:00:00z" }, `"t0"."createdAt" = $1`, [iso]);
  });

  test("field references compare two columns; LIKE escapes the referenced text", () => {
    check(A, { page: { gt: new FieldRef("Annotation", "position", "Int") } }, `"t0"."page" > "t0"."position"`, []);
    const like = compileWhere(schema, A, { label: { contains: new FieldRef("Annotation", "rawText", "String") } });
    assert.match(like.sql, /^"t0"\."label" LIKE \('%' \|\| replace\(replace\(replace\("t0"\."rawText"/);
    refuses(A, { page: { gt: new FieldRef("Document", "id", "String") } }, /not a field of Annotation/);
    refuses(A, { page: { gt: new FieldRef("Annotation", "label", "String") } }, /is String, "page" is Int/);
    refuses(A, { label: { not: new FieldRef("Annotation", "rawText", "String") } }, /not a field reference/);
    refuses(A, { label: { in: new FieldRef("Annotation", "rawText", "String") } }, /cannot be a list/);
  });

  test("Prisma's null sentinels on Json fields", () => {
    check(D, { metadata: { equals: Prisma.DbNull } }, `NOT ("t0"."metadata" IS NOT NULL)`, []);
    check(D, { metadata: { equals: Prisma.JsonNull } }, `"t0"."metadata" = $1::jsonb`, ["null"]);
    check(D, { metadata: { equals: null } }, `"t0"."metadata" = $1::jsonb`, ["null"]);
    check(
      D,
      { metadata: { equals: Prisma.AnyNull } },
      `(NOT ("t0"."metadata" IS NOT NULL) OR "t0"."metadata" = $1::jsonb)`,
      ["null"],
    );
    check(D, { metadata: { path: ["a"], not: Prisma.JsonNull } }, `("t0"."metadata" #> $1::text[]) <> $2::jsonb`, [
      ["a"],
      "null",
    ]);
    refuses(D, { metadata: { path: ["a"], gt: Prisma.DbNull } }, /sentinels go with equals or not/);
  });

  test("JSON filters under NOT: Prisma's SQL, so a missing key or another type is dropped", () => {
    check(
      D,
      { NOT: { metadata: { path: ["lang"], equals: "en" } } },
      `NOT (("t0"."metadata" #> $1::text[]) = $2::jsonb)`,
      [["lang"], '"en"'],
    );
    check(
      D,
      { NOT: { metadata: { path: ["n"], gt: 1 } } },
      `NOT ((("t0"."metadata" #> $1::text[]) > $2::jsonb OR jsonb_typeof(("t0"."metadata" #> $3::text[])) <> 'number'))`,
      [["n"], "1", ["n"]],
    );
  });

  test("a to-one relation keeps the filter's NULLs under NOT, as Prisma's join does", () => {
    const exists = (inner: string) =>
      `EXISTS (SELECT 1 FROM "Document" AS "t1" WHERE "t1"."id" = "t0"."documentId" AND ${inner})`;
    check(A, { document: { title: { contains: "a" } } }, exists(`"t1"."title" LIKE $1`), ["%a%"]);
    check(A, { NOT: { document: { title: { contains: "a" } } } }, `NOT (NOT ${exists(`NOT ("t1"."title" LIKE $1)`)})`, [
      "%a%",
    ]);
    check(A, { document: { isNot: { title: "a" } } }, exists(`NOT ("t1"."title" = $1)`), ["a"]);
  });

  test("filter size limits: an InvalidFilterError before any SQL", () => {
    const likes = (n: number) => ({ OR: Array.from({ length: n }, (_, i) => ({ rawText: { contains: `w${i}` } })) });
    assert.ok(compileWhere(schema, A, likes(FILTER_LIMITS.likes)).sql.length > 0);
    refuses(A, likes(FILTER_LIMITS.likes + 1), /more than 256 text-pattern conditions/);
    const terms = { OR: Array.from({ length: 2_000 }, (_, i) => ({ page: i })) };
    refuses(A, terms, /more than 2000 conditions/);
    refuses(A, { OR: Array.from({ length: 20_000 }, () => ({ rawText: { contains: "x" } })) }, /filter too large/);
  });
});
