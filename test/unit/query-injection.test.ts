import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { ColumnInfo } from "../../src/db/table-columns.ts";
import { InvalidFilterError } from "../../src/errors.ts";
import { resolveStoreModels } from "../../src/llamaindex/store-models.ts";
import {
  deleteNodes,
  deleteRefDoc,
  insertRefDocs,
  selectEmbeddings,
  upsertNodes,
} from "../../src/llamaindex/store-sql.ts";
import { buildHybridQuery } from "../../src/query/hybrid-search.ts";
import { escapeLike } from "../../src/query/like-pattern.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import type { SearchPlan } from "../../src/query/plan.ts";
import { buildSimilarityQuery } from "../../src/query/similarity-search.ts";
import { buildTextQuery } from "../../src/query/text-search.ts";
import { modelDefaults } from "../../src/schema/client-defaults.ts";
import type { BundledModelName } from "../../src/schema/model-meta.ts";
import type { CompiledQuery } from "../../src/sql/compiled-query.ts";
import { catalogType } from "../../src/sql/sql-params.ts";
import { compileBulkCreate } from "../../src/write/bulk-create.ts";
import { compileNestedCreate } from "../../src/write/nested-create.ts";
import { compileWhere, hostileSchema, projectSchema } from "../helpers/query.ts";

const schema = projectSchema();

const HOSTILE = [
  `x'; DROP TABLE "Document"; --`,
  `x"; DELETE FROM "Annotation" WHERE ''='`,
  "x /* comment */ OR 1=1",
  "x -- trailing",
  "x\\'; SELECT pg_sleep(10); --",
  "$1",
  "'",
  '"',
  "%_\\",
];

/** Every string in a parameter, looking inside arrays and JSON text. */
function strings(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value !== "string") return [];
  try {
    const parsed: unknown = JSON.parse(value);
    const inner = (v: unknown): string[] =>
      typeof v === "string"
        ? [v]
        : v && typeof v === "object"
          ? Object.entries(v).flatMap(([k, x]) => [k, ...inner(x)])
          : [];
    return [value, ...inner(parsed)];
  } catch {
    return [value];
  }
}

/** SQL text holds no caller text: every value is a $n parameter. */
function assertOnlyParams(sql: string, values: readonly string[]) {
  for (const v of values) assert.ok(!sql.includes(v), `value ${JSON.stringify(v)} leaked into SQL: ${sql}`);
  assert.doesNotMatch(sql, /--|\/\*|;/, `unexpected comment or statement separator in: ${sql}`);
}

describe("SQL injection: keys are rejected, values only ever become parameters", () => {
  test("hostile field names are rejected before any SQL exists", () => {
    for (const key of [...HOSTILE, `label"`, "label;", "t0.label", `"t0"."label"`, "label--", "label/**/"]) {
      assert.throws(
        () => parseWhere(schema.Annotation, schema, { [key]: "x" }),
        (err: unknown) =>
          err instanceof InvalidFilterError &&
          err.issues.length === 1 &&
          err.issues[0]!.path[1] === key &&
          /unknown field/.test(err.issues[0]!.message),
        key,
      );
    }
  });

  test("prototype keys are unknown fields too", () => {
    const proto = JSON.parse('{"__proto__": {"label": "x"}}');
    for (const where of [proto, { constructor: "x" }, { toString: "x" }, { hasOwnProperty: "x" }]) {
      assert.throws(() => parseWhere(schema.Annotation, schema, where), InvalidFilterError);
    }
  });

  test("hostile operator names, quantifiers and modes are rejected", () => {
    for (const where of [
      { label: { "equals; DROP TABLE x": "a" } },
      { label: { "equals/**/": "a" } },
      { label: { contains: "a", mode: "insensitive'; --" } },
      { metadata: { path: ["a"], "equals' OR '1'='1": "a" } },
      { document: { "is; --": { label: "a" } } },
    ]) {
      assert.throws(() => parseWhere(schema.Annotation, schema, where), InvalidFilterError, JSON.stringify(where));
    }
    assert.throws(
      () => parseWhere(schema.Document, schema, { annotations: { "some) OR (1=1": {} } }),
      InvalidFilterError,
    );
  });

  test("hostile values in every operator stay in the parameters", () => {
    const wheres = (v: string): Record<string, unknown>[] => [
      { label: v },
      { label: { not: v, in: [v, v], notIn: [v] } },
      { label: { lt: v, gte: v, mode: "insensitive" } },
      { rawText: { contains: v, startsWith: v, endsWith: v } },
      { rawText: { contains: v, mode: "insensitive" } },
      { document: { is: { title: v, content: { contains: v } } } },
      { metadata: { path: [v, v], equals: v } },
      { metadata: { path: [v], equals: { [v]: v } } },
      { metadata: { path: [v], not: v, gt: v, string_contains: v, array_contains: [v] } },
      { OR: [{ label: v }, { NOT: { rawText: v } }] },
    ];
    const benign = wheres("benign").map((w) => compileWhere(schema, "Annotation", w).sql);
    for (const v of HOSTILE) {
      wheres(v).forEach((where, i) => {
        const { sql, params } = compileWhere(schema, "Annotation", where);
        // The SQL text does not depend on the value: it is the text a harmless value gets.
        assert.equal(sql, benign[i], JSON.stringify(where));
        const texts = params.flatMap(strings);
        assert.ok(
          texts.some((t) => t.includes(v) || t.includes(escapeLike(v))),
          `${v} not in the parameters`,
        );
        if (v.length > 3) assertOnlyParams(sql, [v]);
      });
    }
  });

  test("JSON path segments with quotes are bound, not spliced", () => {
    const path = [`a'b`, `c"d`, "e;--", "f/*g*/"];
    const { sql, params } = compileWhere(schema, "Document", { metadata: { path, equals: "x" } });
    assert.equal(sql, `"t0"."metadata" @> $1::jsonb`);
    assert.deepEqual(JSON.parse(params[0] as string), { "a'b": { 'c"d': { "e;--": { "f/*g*/": "x" } } } });
    const ordered = compileWhere(schema, "Document", { metadata: { path, gt: 1 } });
    assertOnlyParams(ordered.sql, path);
    assert.deepEqual(ordered.params[0], path);
  });

  test("search statements bind the query text and numbers too", () => {
    const plan: SearchPlan = {
      kind: "exact",
      efSearch: null,
      estimatedRows: null,
      reason: "",
      recall: { target: 1, expected: 1, calibratedAt: null },
    };
    const vector = Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0));
    const filter = parseWhere(schema.Annotation, schema, { label: HOSTILE[0] });
    const text = HOSTILE[1]!;
    for (const q of [
      buildSimilarityQuery(schema, schema.Annotation, { vector, filter, take: 5, skip: 2 }, plan),
      buildSimilarityQuery(
        schema,
        schema.Annotation,
        { vector, filter, take: 5 },
        { ...plan, kind: "hnsw-iterative", efSearch: 40 },
      ),
      buildTextQuery(schema, schema.Annotation, { query: text, filter, take: 5 }),
      buildHybridQuery(schema, schema.Annotation, { text, vector, filter, take: 5 }, plan),
    ]) {
      assertOnlyParams(q.sql, [HOSTILE[0]!, text]);
      assert.doesNotMatch(q.sql, /LIMIT \d|OFFSET [1-9]/, "take/skip are parameters");
    }
  });
});

/**
 * The statement's SQL, with its quoted identifiers and string literals taken out, has no
 * statement separator or comment, and its placeholders are exactly $1..$n for its n parameters.
 */
function assertStatement(query: CompiledQuery, values: readonly string[], what: string) {
  const bare = query.sql.replace(/"(?:[^"]|"")*"/g, "ID").replace(/'(?:[^']|'')*'/g, "LIT");
  assert.doesNotMatch(bare, /;|--|\/\*/, `${what}: ${query.sql}`);
  const placeholders = new Set([...bare.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  const expected = Array.from({ length: query.params.length }, (_, i) => i + 1);
  assert.deepEqual(
    [...placeholders].sort((a, b) => a - b),
    expected,
    `${what}: placeholders of ${query.sql}`,
  );
  for (const v of values) assert.ok(!query.sql.includes(v), `${what}: ${JSON.stringify(v)} in ${query.sql}`);
  const texts = query.params.flatMap(strings);
  for (const v of values)
    assert.ok(
      texts.some((t) => t.includes(v)),
      `${what}: ${JSON.stringify(v)} not bound`,
    );
}

describe("every statement builder, on a schema whose @map names are hostile", () => {
  const schema = hostileSchema();
  const schemaText = readFileSync(new URL("../../prisma/schema.prisma", import.meta.url), "utf8");
  const value = `it's "$1"; DROP TABLE x; --\\`;
  const sqlTypes: Record<string, string> = {
    String: "text",
    Int: "integer",
    Float: "double precision",
    Json: "jsonb",
    DateTime: "timestamp(3) without time zone",
  };
  const columnsOf = (model: BundledModelName) =>
    new Map<string, ColumnInfo>(
      [...schema[model].fields.values()].map((f) => {
        const sqlType = sqlTypes[f.type] ?? "text";
        const type = sqlType.replace("(3)", ""); // the catalog's type without its modifier
        return [f.column, { sqlType: catalogType(sqlType), type, hasDefault: false, generated: false }];
      }),
    );
  const defaultsOf = (model: BundledModelName) => modelDefaults(schemaText, model) ?? new Map();
  const now = new Date("2026-01-02T03:04:05.006Z");

  test("searches: similarity, full text, hybrid", () => {
    const vector = Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0));
    const filter = parseWhere(schema.Annotation, schema, {
      label: value,
      metadata: { path: [value], equals: value },
      document: { is: { title: { contains: value } } },
    });
    const plan: SearchPlan = {
      kind: "exact",
      efSearch: null,
      estimatedRows: null,
      reason: "",
      recall: { target: 1, expected: 1, calibratedAt: null },
    };
    for (const [what, q] of Object.entries({
      similarity: buildSimilarityQuery(schema, schema.Annotation, { vector, filter, take: 5, skip: 2 }, plan),
      iterative: buildSimilarityQuery(
        schema,
        schema.Annotation,
        { vector, filter, take: 5 },
        { ...plan, kind: "hnsw-iterative", efSearch: 40 },
      ),
      text: buildTextQuery(schema, schema.Annotation, { query: value, filter, take: 5 }),
      hybrid: buildHybridQuery(schema, schema.Annotation, { text: value, vector, filter, take: 5 }, plan),
    })) {
      assertStatement(q, [value], what);
    }
  });

  test("createMany (unnest and VALUES rows) and the nested create", () => {
    const data = [
      { rawText: value, label: value, documentId: value, metadata: { [value]: value } },
      { rawText: "plain", label: null, documentId: value, page: 3 },
    ];
    for (const rows of ["unnest", "values"] as const) {
      const q = compileBulkCreate(
        schema.Annotation,
        defaultsOf("Annotation"),
        columnsOf("Annotation"),
        { data, skipDuplicates: true },
        now,
        rows,
      );
      assert.ok(q, rows);
      assertStatement(q, [value], rows);
    }
    const nested = compileNestedCreate(
      schema,
      new Map([
        ["Document", defaultsOf("Document")],
        ["Annotation", defaultsOf("Annotation")],
      ]),
      { Document: columnsOf("Document"), Annotation: columnsOf("Annotation") },
      { data: { title: value, content: value, annotations: { create: [{ rawText: value }, { rawText: "b" }] } } },
      now,
    );
    assert.ok(nested);
    assertStatement(nested.query, [value], "nested create");
  });

  test("the LlamaIndex store's writes, deletes and reads", () => {
    const models = resolveStoreModels(schema, schemaText, { nodeModel: "Annotation" });
    const node = {
      id: value,
      documentId: value,
      rawText: value,
      label: value,
      page: 1,
      metadata: JSON.stringify({ [value]: value }),
      payload: "[1,0]",
      embeddingModel: value,
    };
    const statements = {
      upsertNodes: upsertNodes(models, [node, { ...node, id: "b" }], now),
      insertRefDocs: insertRefDocs(models, [{ id: value, title: value, metadata: "{}" }], now),
      deleteRefDoc: deleteRefDoc(models, value),
      deleteNodes: [deleteNodes(models, [value, "b"])],
      selectEmbeddings: [selectEmbeddings(models, [value])],
    };
    for (const [what, queries] of Object.entries(statements)) {
      assert.ok(queries.length > 0, what);
      for (const q of queries) assertStatement(q, [value], what);
    }
  });
});
