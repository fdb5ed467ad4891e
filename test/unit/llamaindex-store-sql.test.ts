import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { SchemaMismatchError } from "../../src/errors.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { resolveStoreModels } from "../../src/llamaindex/store-models.ts";
import { insertRefDocs, upsertNodes } from "../../src/llamaindex/store-sql.ts";
import { readDataModel } from "../../src/schema/data-model.ts";
import { buildStoreSchema } from "../../src/schema/model-meta.ts";
import { schemaModels } from "../../src/schema/schema-models.ts";
import { projectSchema } from "../helpers/query.ts";

const schema = projectSchema();
const schemaText = readFileSync(new URL("../../prisma/schema.prisma", import.meta.url), "utf8");
const now = new Date("2026-01-02T03:04:05.006Z");
const node = {
  id: "n1",
  documentId: "d1",
  rawText: "text",
  label: null,
  page: null,
  metadata: "{}",
  payload: "[1]",
  embeddingModel: "m",
};

test("the store fills Prisma's defaults with the time of the write, @updatedAt again on conflict", () => {
  const models = resolveStoreModels(schema, schemaText, { nodeModel: "Annotation" });
  const [upsert] = upsertNodes(models, [node, { ...node, id: "n2" }], now);
  assert.ok(upsert);
  const columns = /\(([^)]*)\) VALUES/.exec(upsert.sql)?.[1]?.split(", ");
  assert.deepEqual(columns?.slice(-2), ['"createdAt"', '"updatedAt"']);
  const [, set] = upsert.sql.split(" DO UPDATE SET ");
  assert.match(set ?? "", /"updatedAt" = EXCLUDED."updatedAt"/);
  assert.doesNotMatch(set ?? "", /createdAt/, "createdAt is the first write's");
  const perRow = upsert.params.length / 2;
  assert.deepEqual(upsert.params.slice(perRow - 2, perRow), [now.toISOString(), now.toISOString()]);

  const [refDoc] = insertRefDocs(models, [{ id: "d1", title: null, metadata: "{}" }], now);
  assert.match(refDoc?.sql ?? "", /"createdAt", "updatedAt"\) VALUES .* ON CONFLICT \("id"\) DO NOTHING$/);
});

test("required fields the store does not write: Prisma's generators are filled, the rest refused", () => {
  const withField = (line: string) =>
    schemaText.replace("  rawText          String\n", `  rawText String\n  ${line}\n`);
  for (const line of ["ref String @default(uuid())", 'kind String @default("a")', "at DateTime @updatedAt"]) {
    assert.ok(resolveStoreModels(schema, withField(line), { nodeModel: "Annotation" }), line);
  }
  for (const line of ["ref String", "ref String @default(cuid())"]) {
    assert.throws(
      () => resolveStoreModels(schema, withField(line), { nodeModel: "Annotation" }),
      (e: unknown) => e instanceof SchemaMismatchError && /Annotation\.ref is required/.test(e.message),
      line,
    );
  }
});

test("a uuid() field the store does not write gets a new UUID in every row", () => {
  const text = schemaText.replace("  rawText          String\n", "  rawText String\n  ref String @default(uuid())\n");
  const base = readDataModel(
    new PrismaClient({ adapter: new PrismaPg({ connectionString: "postgresql://unused@127.0.0.1:1/x" }) }),
  );
  const annotation = base.models.Annotation!;
  const withRef = buildStoreSchema(
    {
      models: {
        ...base.models,
        Annotation: { ...annotation, fields: [...annotation.fields, { name: "ref", kind: "scalar", type: "String" }] },
      },
    },
    undefined,
    undefined,
    schemaModels(text),
  );
  const models = resolveStoreModels(withRef, text, { nodeModel: "Annotation" });
  const [upsert] = upsertNodes(models, [node, { ...node, id: "n2" }, { ...node, id: "n3" }], now);
  const columns = /\(([^)]*)\) VALUES/.exec(upsert?.sql ?? "")?.[1]?.split(", ") ?? [];
  const at = columns.indexOf('"ref"');
  assert.ok(at >= 0, upsert?.sql);
  const refs = [0, 1, 2].map((row) => upsert?.params[row * columns.length + at]);
  assert.equal(new Set(refs).size, 3, `one UUID per row: ${refs.join(", ")}`);
  for (const ref of refs)
    assert.match(String(ref), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
