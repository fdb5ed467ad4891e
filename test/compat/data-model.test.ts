/**
 * Column metadata on every client kind: what each generator's client exposes at run time
 * (printed as test diagnostics), and that the library reads the same tables and columns from it,
 * `@map`/`@@map` names included. No database needed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { COMPAT_KINDS, projectSource, repoRoot } from "../../scripts/compat-paths.ts";
import { readDataModel } from "../../src/schema/data-model.ts";
import { buildStoreSchema, type StoreSchema } from "../../src/schema/model-meta.ts";
import { loadProject } from "./compat-project.ts";

const URL_NOT_USED = "postgresql://nobody@127.0.0.1:1/none";

/** The parts of a StoreSchema that reach SQL: table and column names. */
function names(schema: StoreSchema) {
  const model = (m: StoreSchema["Document"]) => ({
    table: m.table,
    columns: Object.fromEntries([...m.fields.values()].map((f) => [f.name, `${f.column}:${f.type}`])),
    text: m.textField.column,
  });
  return {
    Document: model(schema.Document),
    Annotation: model(schema.Annotation),
    fk: schema.documentForeignKey.column,
  };
}

/** The model blocks of a schema file, comments and blank lines aside. */
function modelBlocks(file: string): string {
  const text = readFileSync(file, "utf8");
  return text
    .slice(text.indexOf("model Document"))
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("//"))
    .join("\n");
}

describe("data model on each client kind", () => {
  for (const kind of COMPAT_KINDS) {
    test(`${kind}: the library reads the same columns as from this repo's client`, async (t) => {
      const project = await loadProject(kind);
      const client = project.createBase(URL_NOT_USED);
      const runtime = client._runtimeDataModel as { models: Record<string, { dbName: unknown; fields: unknown[] }> };
      t.diagnostic(
        `${project.kind} ${project.prismaVersion}: _runtimeDataModel ${runtime ? "present" : "MISSING"} ` +
          `(models ${Object.keys(runtime?.models ?? {}).join(", ")}); Prisma.dmmf ${project.dmmf ? "present" : "absent"}`,
      );
      t.diagnostic(`Document as the client exposes it: ${JSON.stringify(runtime?.models.Document)}`);
      const expected = names(buildStoreSchema(readDataModel(client)));
      assert.deepEqual(expected.Document.columns.content, "content:String");
      // A client that already has another extension (what `hybridStore` then receives).
      assert.deepEqual(names(buildStoreSchema(readDataModel(client.$extends({})))), expected);
      if (project.dmmf) {
        assert.deepEqual(names(buildStoreSchema(readDataModel({}, project.dmmf))), expected, "dmmf and runtime agree");
      }
      await client.$disconnect();
    });

    test(`${kind}: the compat schema's models are the repo's`, () => {
      assert.equal(
        modelBlocks(join(projectSource(kind), "schema.prisma")),
        modelBlocks(join(repoRoot, "prisma", "schema.prisma")),
      );
    });
  }

  test("prisma7 with @map/@@map: tables and columns come from dbName", async (t) => {
    const project = await loadProject("prisma7");
    const client = project.createMappedBase!(URL_NOT_USED);
    const runtime = client._runtimeDataModel as { models: Record<string, unknown> };
    t.diagnostic(`mapped Document as the client exposes it: ${JSON.stringify(runtime.models.Document)}`);
    const schema = names(buildStoreSchema(readDataModel(client)));
    assert.equal(schema.Document.table, "phs_compat_documents");
    assert.equal(schema.Document.text, "body");
    assert.equal(schema.Annotation.table, "phs_compat_annotations");
    assert.equal(schema.Annotation.text, "raw_text");
    assert.equal(schema.Annotation.columns.page, "page_no:Int");
    assert.equal(schema.fk, "document_ref");
    await client.$disconnect();
  });
});
