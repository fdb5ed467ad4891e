/**
 * `new PrismaPg(config, { schema })`: every statement the library writes itself (fast createMany,
 * searches, relation filters, $reembed, LlamaIndex) reads and writes that schema, as Prisma does.
 * A decoy row with the same label in `public` must never show up, and nothing may land there.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { NodeRelationship, TextNode } from "llamaindex";
import { checkDatabase, MigrationsPendingError } from "../../src/db/check.ts";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { HybridQueryMode, PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { bundledMigrations, createPrisma, databaseUrl, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const tenant = `phs_tenant_${randomBytes(3).toString("hex")}`;
const label = uniqueLabel("tenant");
const publicBase = createPrisma();
const tenantBase = new PrismaClient({
  adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2, idleTimeoutMillis: 1000 }, { schema: tenant }),
});
const prisma = tenantBase.$extends(hybridStore({ embedder: tinyEmbedder() }));
const inPublic = publicBase.$extends(hybridStore({ embedder: tinyEmbedder() }));
let decoyId = "";

/** Ids of the label's rows in a schema's table, read with plain pg. */
const idsIn = (schema: string, table: "Document" | "Annotation") =>
  withPg(async (pg) =>
    (await pg.query(`select id from "${schema}"."${table}" where label = $1 order by id`, [label])).rows.map(
      (r: { id: string }) => r.id,
    ),
  );

before(async () => {
  // The bundled migrations, applied in the tenant schema (the vector type stays in public).
  await withPg(async (pg) => {
    await pg.query(`create schema "${tenant}"`);
    await pg.query("begin");
    await pg.query(`set local search_path to "${tenant}", public`);
    for (const name of bundledMigrations()) {
      await pg.query(readFileSync(new URL(`../../prisma/migrations/${name}/migration.sql`, import.meta.url), "utf8"));
    }
    await pg.query("commit");
  });
  // The decoy: the same label and words in public.
  decoyId = (await inPublic.document.create({ data: { content: "tenant cats purr", label } })).id;
  await inPublic.annotation.createMany({ data: [{ documentId: decoyId, rawText: "tenant cats purr", label }] });
});

after(async () => {
  await tenantBase.$disconnect();
  await publicBase.$disconnect();
  await withPg((pg) => pg.query(`drop schema "${tenant}" cascade`));
});

describe("a client whose adapter names a schema", () => {
  let documentId = "";

  test("create and the fast createMany write into that schema", async () => {
    // The same id as the decoy's: a write that went to public by mistake would succeed there.
    documentId = (await prisma.document.create({ data: { id: decoyId, content: "tenant cats purr", label } })).id;
    const result = await prisma.annotation.createMany({
      data: ["tenant cats purr", "tenant dogs bark"].map((rawText) => ({ documentId, rawText, label })),
    });
    assert.deepEqual(result, { count: 2 });
    assert.equal((await idsIn(tenant, "Annotation")).length, 2);
    assert.equal((await idsIn("public", "Annotation")).length, 1, "only the decoy is in public");
    const vectors = await withPg(
      async (pg) =>
        (
          await pg.query(
            `select count(*)::int as n from "${tenant}"."Annotation" where label = $1 and embedding is not null`,
            [label],
          )
        ).rows[0].n,
    );
    assert.equal(vectors, 2);
  });

  test("every search, with and without a relation filter, reads that schema only", async () => {
    const tenantIds = await idsIn(tenant, "Annotation");
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
    const where = { label };
    assert.deepEqual(ids(await prisma.annotation.similaritySearch({ query: "cats", take: 10, where })), tenantIds);
    assert.deepEqual(ids(await prisma.annotation.textSearch({ query: "tenant", take: 10, where })), tenantIds);
    assert.deepEqual(ids(await prisma.annotation.hybridSearch({ query: "tenant cats", take: 10, where })), tenantIds);
    const byRelation = { document: { label } };
    assert.deepEqual(
      ids(await prisma.annotation.similaritySearch({ query: "cats", take: 10, where: byRelation })),
      tenantIds,
    );
    assert.deepEqual(ids(await prisma.document.textSearch({ query: "tenant", take: 10, where })), [documentId]);
  });

  test("$reembed embeds that schema's rows", async () => {
    await withPg((pg) =>
      pg.query(`update "${tenant}"."Annotation" set embedding = null, "embeddingModel" = null where label = $1`, [
        label,
      ]),
    );
    const result = await prisma.$reembed({ models: ["Annotation"] });
    assert.equal(result.embedded.Annotation, 2);
  });

  test("the LlamaIndex store writes, queries and deletes in that schema", async () => {
    const store = new PrismaHybridVectorStore({ prisma: tenantBase, embedder: tinyEmbedder() });
    const refDoc = uniqueLabel("tenant-doc");
    const node = new TextNode({
      text: "tenant parrots talk",
      metadata: { label },
      relationships: { [NodeRelationship.SOURCE]: { nodeId: refDoc, metadata: {} } },
    });
    await store.add([node]);
    assert.ok((await idsIn(tenant, "Annotation")).includes(node.id_));
    assert.ok(!(await idsIn("public", "Annotation")).includes(node.id_));
    const found = await store.query({ queryStr: "parrots", similarityTopK: 1, mode: HybridQueryMode.MMR });
    assert.deepEqual(found.ids, [node.id_]);
    await store.delete(refDoc);
    assert.ok(!(await idsIn(tenant, "Annotation")).includes(node.id_));
  });

  test("checkDatabase looks in that schema", async () => {
    const report = await checkDatabase(tenantBase);
    assert.deepEqual(report.warnings, []);
    await withPg((pg) => pg.query(`drop trigger "Annotation_before_write" on "${tenant}"."Annotation"`));
    await assert.rejects(checkDatabase(tenantBase), (error: unknown) => {
      assert.ok(error instanceof MigrationsPendingError, String(error));
      assert.deepEqual(error.missing, ['write-path trigger on "Annotation" ("embeddingPayload" -> "embedding")']);
      return true;
    });
    await checkDatabase(publicBase); // public still has it
  });
});
