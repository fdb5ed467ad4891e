import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileFilter } from "../../src/query/compile-filter.ts";
import { and, compare, inList, json, not, or, relation, TRUE } from "../../src/query/filter-nodes.ts";
import type { BundledModelName } from "../../src/schema/model-meta.ts";
import { field } from "../../src/schema/model-meta.ts";
import { SqlParams } from "../../src/sql/sql-params.ts";
import { compileWhere, mappedSchema, projectSchema } from "../helpers/query.ts";

const schema = projectSchema();
const check = (model: BundledModelName, where: unknown, sql: string, params: unknown[]) =>
  assert.deepEqual(compileWhere(schema, model, where), { sql, params });
const A = "Annotation";
const D = "Document";

describe("compileFilter: scalar operators", () => {
  test("shorthand equality, equals, not", () => {
    check(A, { label: "x" }, `"t0"."label" = $1`, ["x"]);
    check(A, { label: { equals: "x" } }, `"t0"."label" = $1`, ["x"]);
    check(A, { label: { not: "x" } }, `"t0"."label" <> $1`, ["x"]);
    check(A, { label: { not: { in: ["a", "b"] } } }, `NOT ("t0"."label" IN ($1, $2))`, ["a", "b"]);
  });

  test("null checks", () => {
    check(A, { label: null }, `"t0"."label" IS NULL`, []);
    check(A, { label: { equals: null } }, `"t0"."label" IS NULL`, []);
    check(A, { label: { not: null } }, `"t0"."label" IS NOT NULL`, []);
  });

  test("in / notIn, and their empty forms", () => {
    check(A, { page: { in: [1, 2] } }, `"t0"."page" IN ($1, $2)`, [1, 2]);
    check(A, { page: { notIn: [3] } }, `"t0"."page" NOT IN ($1)`, [3]);
    check(A, { page: { in: [] } }, "FALSE", []);
    check(A, { page: { notIn: [] } }, "TRUE", []);
  });

  test("ranges; a fraction against an Int column is cast to numeric", () => {
    check(A, { page: { gte: 2, lt: 10 } }, `("t0"."page" >= $1 AND "t0"."page" < $2)`, [2, 10]);
    // Prisma truncates a fraction sent to an Int column (`gt: 2.5` is `> 2`).
    check(A, { page: { gt: 2.5 } }, `"t0"."page" > $1`, [2]);
    check(A, { page: { lte: 4 } }, `"t0"."page" <= $1`, [4]);
  });

  test("DateTime values are sent as ISO text, Date objects or ISO strings alike", () => {
    const iso = "2024-05-01T10:00:00.000Z";
    check(D, { createdAt: { gte: new Date(iso) } }, `"t0"."createdAt" >= $1`, [iso]);
    check(D, { createdAt: { lt: "2024-05-01T12:00:00+02:00" } }, `"t0"."createdAt" < $1`, [iso]);
  });

  test("contains / startsWith / endsWith escape LIKE wildcards", () => {
    check(A, { rawText: { contains: "50%_off\\" } }, `"t0"."rawText" LIKE $1`, ["%50\\%\\_off\\\\%"]);
    check(A, { rawText: { startsWith: "a_" } }, `"t0"."rawText" LIKE $1`, ["a\\_%"]);
    check(A, { rawText: { endsWith: "%" } }, `"t0"."rawText" LIKE $1`, ["%\\%"]);
  });

  test('mode: "insensitive"', () => {
    check(A, { rawText: { contains: "Cat", mode: "insensitive" } }, `"t0"."rawText" ILIKE $1`, ["%Cat%"]);
    check(A, { label: { equals: "A%", mode: "insensitive" } }, `lower("t0"."label") = lower($1)`, ["A%"]);
    check(A, { label: { in: ["A", "b"], mode: "insensitive" } }, `lower("t0"."label") IN (lower($1), lower($2))`, [
      "A",
      "b",
    ]);
    check(A, { label: { not: "A", mode: "insensitive" } }, `lower("t0"."label") <> lower($1)`, ["A"]);
  });

  test("several operators on one field are ANDed", () => {
    check(
      A,
      { rawText: { startsWith: "a", endsWith: "z", not: "az" } },
      `("t0"."rawText" LIKE $1 AND "t0"."rawText" LIKE $2 AND "t0"."rawText" <> $3)`,
      ["a%", "%z", "az"],
    );
  });
});

describe("compileFilter: logic", () => {
  test("AND / OR / NOT with objects and arrays", () => {
    check(A, { AND: [{ label: "a" }, { page: 1 }] }, `("t0"."label" = $1 AND "t0"."page" = $2)`, ["a", 1]);
    check(A, { AND: { label: "a" } }, `"t0"."label" = $1`, ["a"]);
    check(A, { OR: [{ label: "a" }, { page: 1 }] }, `("t0"."label" = $1 OR "t0"."page" = $2)`, ["a", 1]);
    check(A, { NOT: { label: "a" } }, `NOT ("t0"."label" = $1)`, ["a"]);
    check(A, { NOT: [{ label: "a" }, { page: 1 }] }, `(NOT ("t0"."label" = $1) AND NOT ("t0"."page" = $2))`, ["a", 1]);
    check(A, { NOT: { OR: [{ label: "a" }, { page: 1 }] } }, `NOT ("t0"."label" = $1 OR "t0"."page" = $2)`, ["a", 1]);
  });

  test("empty filters as Prisma 6.19: alone, AND/NOT are true and OR false; dropped from a list or object", () => {
    check(A, {}, "TRUE", []);
    check(A, { AND: [] }, "TRUE", []);
    check(A, { OR: [] }, "FALSE", []);
    check(A, { NOT: [] }, "TRUE", []);
    check(A, { label: undefined, page: { gte: undefined } }, "TRUE", []);
    check(A, { OR: [], label: "x" }, `"t0"."label" = $1`, ["x"]);
    check(A, { OR: [{ label: "x" }, {}] }, `"t0"."label" = $1`, ["x"]);
    // Prisma treats an empty where under NOT as no condition (as it does undefined values).
    check(A, { NOT: {} }, "TRUE", []);
    check(A, { NOT: [{ label: undefined }, { page: 1 }] }, `NOT ("t0"."page" = $1)`, [1]);
    check(A, { NOT: { OR: [] } }, "TRUE", []);
    check(A, { NOT: { AND: [] } }, "TRUE", []);
    check(A, { NOT: { label: {} } }, "TRUE", []);
    check(A, { label: { not: {} } }, "TRUE", []);
  });

  test("parameters are numbered in order across nested filters", () => {
    check(
      A,
      { OR: [{ label: "a", page: { in: [1, 2] } }, { NOT: { rawText: { contains: "z" } } }] },
      `(("t0"."label" = $1 AND "t0"."page" IN ($2, $3)) OR NOT ("t0"."rawText" LIKE $4))`,
      ["a", 1, 2, "%z%"],
    );
  });
});

describe("compileFilter: relations", () => {
  const exists = (where: string) =>
    `EXISTS (SELECT 1 FROM "Document" AS "t1" WHERE "t1"."id" = "t0"."documentId"${where})`;
  test("Annotation -> Document: direct, is, isNot", () => {
    check(A, { document: { label: "contract" } }, exists(` AND "t1"."label" = $1`), ["contract"]);
    check(A, { document: { is: { label: "contract" } } }, exists(` AND "t1"."label" = $1`), ["contract"]);
    check(A, { document: { isNot: { label: "contract" } } }, exists(` AND NOT ("t1"."label" = $1)`), ["contract"]);
    check(A, { document: {} }, "TRUE", []);
    check(A, { document: { is: {} } }, exists(""), []);
  });

  test("Document -> annotations: some, every, none", () => {
    const sub = (where: string) =>
      `EXISTS (SELECT 1 FROM "Annotation" AS "t1" WHERE "t1"."documentId" = "t0"."id"${where})`;
    check(D, { annotations: { some: { page: 1 } } }, sub(` AND "t1"."page" = $1`), [1]);
    check(D, { annotations: { none: { page: 1 } } }, `NOT ${sub(` AND "t1"."page" = $1`)}`, [1]);
    check(D, { annotations: { every: { page: 1 } } }, `NOT ${sub(` AND NOT ("t1"."page" = $1)`)}`, [1]);
    check(D, { annotations: { some: {} } }, sub(""), []);
  });

  test("nested relations get their own aliases", () => {
    check(
      D,
      { annotations: { some: { document: { label: "x" } } } },
      `EXISTS (SELECT 1 FROM "Annotation" AS "t1" WHERE "t1"."documentId" = "t0"."id" AND ` +
        `EXISTS (SELECT 1 FROM "Document" AS "t2" WHERE "t2"."id" = "t1"."documentId" AND "t2"."label" = $1))`,
      ["x"],
    );
  });
});

describe("compileFilter: JSON metadata", () => {
  test("equals on a primitive becomes containment (GIN-indexable)", () => {
    check(D, { metadata: { path: ["a", "b"], equals: 5 } }, `"t0"."metadata" @> $1::jsonb`, ['{"a":{"b":5}}']);
    check(D, { metadata: { path: ["k"], equals: "v" } }, `"t0"."metadata" @> $1::jsonb`, ['{"k":"v"}']);
    check(D, { metadata: { path: ["k"], equals: null } }, `"t0"."metadata" @> $1::jsonb`, ['{"k":null}']);
  });

  test("equals on an object: containment prefilter plus exact equality", () => {
    check(
      D,
      { metadata: { path: ["o"], equals: { p: 1 } } },
      `("t0"."metadata" @> $1::jsonb AND ("t0"."metadata" #> $2::text[]) = $3::jsonb)`,
      ['{"o":{"p":1}}', ["o"], '{"p":1}'],
    );
  });

  test("array-index segments and the whole value use #> / =", () => {
    check(D, { metadata: { path: ["tags", "0"], equals: "x" } }, `("t0"."metadata" #> $1::text[]) = $2::jsonb`, [
      ["tags", "0"],
      '"x"',
    ]);
    check(D, { metadata: { equals: { a: 1 } } }, `"t0"."metadata" = $1::jsonb`, ['{"a":1}']);
  });

  test("not, ordering (type-guarded, numbers numerically)", () => {
    check(D, { metadata: { path: ["a"], not: 5 } }, `("t0"."metadata" #> $1::text[]) <> $2::jsonb`, [["a"], "5"]);
    check(
      D,
      { metadata: { path: ["n"], gte: 3 } },
      `(jsonb_typeof(("t0"."metadata" #> $1::text[])) = 'number' AND ("t0"."metadata" #> $2::text[]) >= $3::jsonb)`,
      [["n"], ["n"], "3"],
    );
    check(
      D,
      { metadata: { path: ["s"], lt: "m" } },
      `(jsonb_typeof(("t0"."metadata" #> $1::text[])) = 'string' AND ("t0"."metadata" #> $2::text[]) < $3::jsonb)`,
      [["s"], ["s"], '"m"'],
    );
  });

  test("string_contains / starts / ends, escaped, optionally insensitive", () => {
    check(
      D,
      { metadata: { path: ["s"], string_contains: "5%" } },
      `(jsonb_typeof(("t0"."metadata" #> $1::text[])) = 'string' AND ("t0"."metadata" #>> $2::text[]) LIKE $3)`,
      [["s"], ["s"], "%5\\%%"],
    );
    check(
      D,
      { metadata: { path: ["s"], string_starts_with: "He", mode: "insensitive" } },
      `(jsonb_typeof(("t0"."metadata" #> $1::text[])) = 'string' AND ("t0"."metadata" #>> $2::text[]) ILIKE $3)`,
      [["s"], ["s"], "He%"],
    );
    check(
      D,
      { metadata: { path: ["s"], string_ends_with: "_" } },
      `(jsonb_typeof(("t0"."metadata" #> $1::text[])) = 'string' AND ("t0"."metadata" #>> $2::text[]) LIKE $3)`,
      [["s"], ["s"], "%\\_"],
    );
  });

  test("array_contains: containment under a key; array_starts_with / ends_with", () => {
    check(D, { metadata: { path: ["tags"], array_contains: "x" } }, `"t0"."metadata" @> $1::jsonb`, ['{"tags":["x"]}']);
    check(D, { metadata: { path: ["tags"], array_contains: ["x", "y"] } }, `"t0"."metadata" @> $1::jsonb`, [
      '{"tags":["x","y"]}',
    ]);
    check(
      D,
      { metadata: { path: ["tags"], array_starts_with: "x" } },
      `(jsonb_typeof(("t0"."metadata" #> $1::text[])) = 'array' AND (("t0"."metadata" #> $2::text[]) -> 0) = $3::jsonb)`,
      [["tags"], ["tags"], '"x"'],
    );
    check(
      D,
      { metadata: { path: ["tags"], array_ends_with: "y" } },
      `(jsonb_typeof(("t0"."metadata" #> $1::text[])) = 'array' AND (("t0"."metadata" #> $2::text[]) -> -1) = $3::jsonb)`,
      [["tags"], ["tags"], '"y"'],
    );
  });
});

describe("compileFilter: nodes built directly (as the LlamaIndex adapter does)", () => {
  test("node constructors fold constants and flatten", () => {
    const label = field(schema.Annotation, "label");
    assert.equal(and(), TRUE);
    assert.equal(and(TRUE, TRUE), TRUE);
    assert.equal(or().kind, "constant");
    assert.deepEqual(not(not(TRUE)), TRUE);
    const node = and(compare(label, "=", "a"), and(inList(label, ["b"], true), TRUE));
    assert.equal(node.kind, "and");
    assert.equal(node.kind === "and" && node.filters.length, 2);
    assert.ok(Object.isFrozen(node));
  });

  test("a hand-built tree compiles like a parsed one", () => {
    const params = new SqlParams();
    const metadata = field(schema.Annotation, "metadata");
    const node = and(
      json(metadata, ["author"], "equals", "ann"),
      relation(
        schema.relations.get("Annotation")!.get("document")!,
        "is",
        compare(field(schema.Document, "label"), "=", "contract"),
      ),
    );
    const sql = compileFilter(node, { schema, model: schema.Annotation, params });
    assert.equal(
      sql,
      `("t0"."metadata" @> $1::jsonb AND EXISTS (SELECT 1 FROM "Document" AS "t1" WHERE "t1"."id" = "t0"."documentId" AND "t1"."label" = $2))`,
    );
    assert.deepEqual(params.values, ['{"author":"ann"}', "contract"]);
  });
});

describe("compileFilter: column and table names come from the schema", () => {
  test("@map / @@map names are used, field names never", () => {
    const mapped = mappedSchema();
    assert.deepEqual(compileWhere(mapped, A, { page: 1, document: { label: "x" } }), {
      sql: `("t0"."page_col" = $1 AND EXISTS (SELECT 1 FROM "documents" AS "t1" WHERE "t1"."id_col" = "t0"."documentId_col" AND "t1"."label_col" = $2))`,
      params: [1, "x"],
    });
  });
});

describe("compileFilter: a node compiled again", () => {
  const node = and(
    compare(field(schema.Annotation, "label"), "=", "x"),
    inList(field(schema.Annotation, "page"), [1, 2]),
  );
  const compileAt = (before: unknown[], alias?: string, model = schema.Annotation, s = schema) => {
    const params = new SqlParams();
    for (const v of before) params.param(v);
    const sql = compileFilter(node, { schema: s, model, params, ...(alias ? { alias } : {}) });
    return { sql, params: [...params.values] };
  };

  test("at the same place binds the same values after the statement's own", () => {
    const first = compileAt(["v"]);
    assert.deepEqual(first, { sql: `("t0"."label" = $2 AND "t0"."page" IN ($3, $4))`, params: ["v", "x", 1, 2] });
    assert.deepEqual(compileAt(["w"]), { ...first, params: ["w", "x", 1, 2] });
  });

  test("elsewhere numbers and names its parameters for that place", () => {
    assert.deepEqual(compileAt([]), { sql: `("t0"."label" = $1 AND "t0"."page" IN ($2, $3))`, params: ["x", 1, 2] });
    assert.deepEqual(compileAt(["a", "b"], "t1"), {
      sql: `("t1"."label" = $3 AND "t1"."page" IN ($4, $5))`,
      params: ["a", "b", "x", 1, 2],
    });
    assert.deepEqual(compileAt([]).params, ["x", 1, 2]);
  });
});
