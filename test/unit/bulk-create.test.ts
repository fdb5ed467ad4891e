import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { ColumnInfo } from "../../src/db/table-columns.ts";
import { modelDefaults } from "../../src/schema/client-defaults.ts";
import { buildStoreSchema } from "../../src/schema/model-meta.ts";
import { catalogType } from "../../src/sql/sql-params.ts";
import { compileBulkCreate } from "../../src/write/bulk-create.ts";

const schemaText = readFileSync(new URL("../../prisma/schema.prisma", import.meta.url), "utf8");

describe("Prisma-side defaults read from the schema text", () => {
  test("the bundled schema: uuid() ids, now() and @updatedAt, the Json literal", () => {
    const doc = modelDefaults(schemaText, "Document");
    assert.deepEqual(Object.fromEntries(doc ?? []), {
      id: { kind: "uuid" },
      metadata: { kind: "value", value: "{}" },
      createdAt: { kind: "now" },
      updatedAt: { kind: "updatedAt" },
    });
    assert.equal(modelDefaults(schemaText, "Annotation")?.get("id")?.kind, "uuid");
  });

  test("generators it does not reproduce, database defaults, literals, comments and strings", () => {
    const schema = `
model DocumentArchive {
  id String @id @default(uuid())
}
// model Annotation { is a comment
model Annotation {
  id        String   @id @default(cuid()) // @default(uuid()) in a comment
  seq       Int      @default(autoincrement())
  v7        String   @default(uuid(7))
  url       String   @default("http://x//y \\"q\\"")
  n         Float    @default(-1.5e3)
  flag      Boolean  @default(false)
  kind      Kind     @default(NOTE)
  tags      String[] @default([])
  raw       String   @default(dbgenerated("gen_random_uuid()")) @db.Uuid
  plain     String?
  @@index([seq])
}`;
    assert.deepEqual(Object.fromEntries(modelDefaults(schema, "Annotation") ?? []), {
      id: { kind: "unsupported" },
      seq: { kind: "database" },
      v7: { kind: "unsupported" },
      url: { kind: "value", value: 'http://x//y "q"' },
      n: { kind: "value", value: -1500 },
      flag: { kind: "value", value: false },
      kind: { kind: "value", value: "NOTE" },
      tags: { kind: "unsupported" },
      raw: { kind: "database" },
    });
    assert.equal(modelDefaults(schema, "Document"), undefined, "DocumentArchive is not Document");
    assert.equal(modelDefaults("model Annotation {\n  id String", "Annotation"), undefined, "no closing brace");
  });
});

describe("createMany compiled to one unnest INSERT", () => {
  const fields = (names: [string, string, string?][]) =>
    names.map(([name, type, dbName]) => ({ name, kind: type === "Kind" ? "enum" : "scalar", type, dbName }));
  const schema = buildStoreSchema({
    models: {
      Document: {
        dbName: "documents",
        fields: fields([
          ["id", "String"],
          ["content", "String", "body"],
          ["embeddingModel", "String"],
          ["embeddingPayload", "String"],
          ["contentHash", "String"],
          ["score", "Decimal"],
          ["rank", "Int"],
          ["meta", "Json"],
          ["createdAt", "DateTime", "created_at"],
          ["kind", "Kind"],
        ]),
      },
      Annotation: {
        fields: fields([
          ["id", "String"],
          ["documentId", "String"],
          ["rawText", "String"],
          ["embeddingModel", "String"],
          ["embeddingPayload", "String"],
          ["contentHash", "String"],
        ]),
      },
    },
  });
  const meta = schema.Document;
  const column = (sqlType: string, type: string, hasDefault = false): ColumnInfo => ({
    sqlType: catalogType(sqlType),
    type,
    hasDefault,
    generated: false,
  });
  const columns = new Map<string, ColumnInfo>([
    ["id", column("text", "text")],
    ["body", column("text", "text")],
    ["embeddingModel", column("text", "text")],
    ["embeddingPayload", column("text", "text")],
    ["contentHash", column("text", "text")],
    ["score", column("numeric(10,2)", "numeric")],
    ["rank", column("integer", "integer", true)],
    ["meta", column("jsonb", "jsonb")],
    ["created_at", column("timestamp(3) without time zone", "timestamp without time zone", true)],
    ["kind", column('"Kind"', '"Kind"')],
  ]);
  const defaults = new Map([
    ["id", { kind: "uuid" } as const],
    ["createdAt", { kind: "now" } as const],
    ["meta", { kind: "value", value: "{}" } as const],
  ]);
  const now = new Date("2026-01-02T03:04:05.006Z");
  const compile = (args: unknown) => compileBulkCreate(meta, defaults, columns, args, now);

  test("mapped names, one array per column, Prisma's defaults filled in", () => {
    const query = compile({
      data: [
        { content: "a", rank: 1, kind: "NOTE", meta: { x: [1] } },
        { content: "b", rank: 2, kind: "TODO", createdAt: new Date("2020-01-01T00:00:00Z") },
      ],
      skipDuplicates: true,
    });
    assert.ok(query);
    assert.equal(
      query.sql,
      'INSERT INTO "documents" ("id", "body", "rank", "meta", "created_at", "kind") SELECT * FROM ' +
        'unnest($1::text[], $2::text[], $3::integer[], $4::jsonb[], $5::timestamp(3) without time zone[], $6::"Kind"[]) ' +
        "ON CONFLICT DO NOTHING",
    );
    const [ids, ...rest] = query.params as string[][];
    assert.equal(new Set(ids).size, 2);
    assert.deepEqual(rest, [
      ["a", "b"],
      ["1", "2"],
      ['{"x":[1]}', "{}"],
      ["2026-01-02T03:04:05.006", "2020-01-01T00:00:00.000"],
      ["NOTE", "TODO"],
    ]);
  });

  test("whatever it cannot write exactly as Prisma would is left to Prisma", () => {
    const ok = { content: "a" };
    assert.ok(compile({ data: [ok] }));
    assert.ok(compile({ data: ok }), "a single object, as Prisma allows");
    for (const [why, args] of Object.entries({
      "an unknown field": { data: [{ ...ok, nope: 1 }] },
      "a relation": { data: [{ ...ok, annotations: { create: [] } }] },
      "a Decimal": { data: [{ ...ok, score: 1.5 }] },
      "a float for an Int": { data: [{ ...ok, rank: 1.5 }] },
      "an Int out of range": { data: [{ ...ok, rank: 2 ** 31 }] },
      "a date as text": { data: [{ ...ok, createdAt: "2020-01-01" }] },
      "an invalid date": { data: [{ ...ok, createdAt: new Date("x") }] },
      "a Json null": { data: [{ ...ok, meta: null }] },
      "a class instance as Json": { data: [{ ...ok, meta: new Map() }] },
      "a BigInt inside Json": { data: [{ ...ok, meta: { n: 1n } }] },
      "a database default set in some rows only": { data: [{ ...ok, rank: 1 }, ok] },
      "no rows": { data: [] },
      "another argument": { data: [ok], select: { id: true } },
      "a non-boolean skipDuplicates": { data: [ok], skipDuplicates: "yes" },
    })) {
      assert.equal(compile(args), undefined, why);
    }
    const cuid = new Map([["id", { kind: "unsupported" } as const]]);
    assert.equal(compileBulkCreate(meta, cuid, columns, { data: [ok] }, now), undefined, "cuid() ids");
    assert.ok(compileBulkCreate(meta, cuid, columns, { data: [{ ...ok, id: "given" }] }, now), "ids given");
  });
});
