/**
 * The library on models whose tables and columns are renamed with @@map/@map (Prisma 7 client,
 * test/compat/.projects/prisma7/mapped.prisma): every statement it writes itself (save hook
 * payload, $reembed, searches, relation filters) must use the database names.
 *
 * The bundled migrations create the unmapped tables only, so this file creates the mapped ones,
 * with the same triggers and search column a user would have to adapt for such a schema.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { databaseUrl, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { type CompatClient, type CompatStore, loadProject } from "./compat-project.ts";
import { embedOne, near, storedVector } from "./runtime-suite.ts";

const DDL = `
CREATE TABLE IF NOT EXISTS "phs_compat_documents" (
  "doc_id" TEXT PRIMARY KEY,
  "source_uri" TEXT UNIQUE,
  "doc_title" TEXT,
  "body" TEXT NOT NULL,
  "tag" TEXT,
  "meta" JSONB NOT NULL DEFAULT '{}',
  "embedding" vector(384),
  "embedding_model" TEXT,
  "embedding_payload" TEXT,
  "content_hash" TEXT,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMP(3) NOT NULL,
  "searchVector" tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce("doc_title", '') || ' ' || "body")) STORED
);
CREATE TABLE IF NOT EXISTS "phs_compat_annotations" (
  "ann_id" TEXT PRIMARY KEY,
  "document_ref" TEXT NOT NULL REFERENCES "phs_compat_documents" ("doc_id") ON DELETE CASCADE,
  "raw_text" TEXT NOT NULL,
  "tag" TEXT,
  "page_no" INTEGER,
  "pos" INTEGER,
  "meta" JSONB NOT NULL DEFAULT '{}',
  "embedding" vector(384),
  "embedding_model" TEXT,
  "embedding_payload" TEXT,
  "content_hash" TEXT,
  "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMP(3) NOT NULL,
  "searchVector" tsvector GENERATED ALWAYS AS (to_tsvector('english', "raw_text")) STORED
);
${trigger("phs_compat_documents", "body")}
${trigger("phs_compat_annotations", "raw_text")}
`;

/** The bundled embedding trigger (see the embedding_triggers migration) for mapped names. */
function trigger(table: string, text: string): string {
  return `
CREATE OR REPLACE FUNCTION "${table}_before_write"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."content_hash" := md5(NEW."${text}");
  IF NEW."embedding_payload" IS NOT NULL THEN
    NEW."embedding" := NEW."embedding_payload"::vector(384);
    NEW."embedding_payload" := NULL;
  ELSIF TG_OP = 'UPDATE' AND NEW."${text}" IS DISTINCT FROM OLD."${text}"
        AND NEW."embedding" IS NOT DISTINCT FROM OLD."embedding" THEN
    NEW."embedding" := NULL;
    NEW."embedding_model" := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER "${table}_before_write" BEFORE INSERT OR UPDATE ON "${table}"
  FOR EACH ROW EXECUTE FUNCTION "${table}_before_write"();`;
}

describe("prisma7 with @map/@@map names", () => {
  let base: CompatClient;
  let prisma: CompatStore;
  before(async () => {
    await withPg((pg) => pg.query(DDL));
    const project = await loadProject("prisma7");
    base = project.createMappedBase!(databaseUrl());
    prisma = project.withMappedStore!(base, tinyEmbedder());
  });
  after(() => base?.$disconnect());

  const vectorOf = (model: "Document" | "Annotation", id: string) =>
    model === "Document"
      ? storedVector("phs_compat_documents", "doc_id", id)
      : storedVector("phs_compat_annotations", "ann_id", id);

  test("save hook: create with nested annotations, update", async () => {
    const label = uniqueLabel("mapped");
    const doc = (await prisma.document.create({
      data: { content: "the cat sat on the mat", label, annotations: { create: [{ rawText: "a dog", label }] } },
      include: { annotations: true },
    })) as { id: string; annotations: { id: string }[] };
    assert.ok(near(await vectorOf("Document", doc.id), await embedOne("the cat sat on the mat")));
    assert.ok(near(await vectorOf("Annotation", doc.annotations[0]!.id), await embedOne("a dog")));
    await prisma.document.update({ where: { id: doc.id }, data: { content: "gamma delta" } });
    assert.ok(near(await vectorOf("Document", doc.id), await embedOne("gamma delta")));
  });

  test("save hook: createMany writes the mapped columns and Prisma's defaults", async () => {
    const label = uniqueLabel("mapped");
    const doc = await prisma.document.create({ data: { content: "parent", label } });
    const data = [
      { documentId: doc.id, rawText: "one fish", label, page: 4 },
      { documentId: doc.id, rawText: "two fish", label },
    ];
    assert.deepEqual(await prisma.annotation.createMany({ data }), { count: 2 });
    const { rows } = await withPg((pg) =>
      pg.query(
        `select ann_id, page_no, meta, created_at = updated_at as same_time, embedding is not null as embedded
           from phs_compat_annotations where tag = $1 order by raw_text`,
        [label],
      ),
    );
    assert.deepEqual(
      rows.map((r) => [r.page_no, r.meta, r.same_time, r.embedded]),
      [
        [4, {}, true, true],
        [null, {}, true, true],
      ],
    );
    assert.ok(rows.every((r) => /^[0-9a-f-]{36}$/.test(r.ann_id)));
  });

  test("$reembed finds and fills the mapped tables", async () => {
    const label = uniqueLabel("mapped");
    const doc = await base.document.create({ data: { content: "plain write", label } });
    assert.equal(await vectorOf("Document", doc.id), null);
    const result = await prisma.$reembed();
    assert.ok((result.embedded.Document ?? 0) >= 1);
    assert.ok(near(await vectorOf("Document", doc.id), await embedOne("plain write")));
  });

  test("searches filter and join on the mapped columns", async (t) => {
    if (typeof prisma.annotation.similaritySearch !== "function") return t.skip("no search methods yet");
    const label = uniqueLabel("mapped");
    await prisma.document.create({
      data: {
        content: "pets",
        label,
        annotations: {
          create: [
            { rawText: "a cat on a mat", label, page: 2 },
            { rawText: "the cat sat on the mat", label, page: 1 },
            { rawText: "stock markets fell", label, page: 3 },
          ],
        },
      },
    });
    const hits = await prisma.annotation.similaritySearch({
      query: "a cat on a mat",
      where: { label, page: { gte: 2 }, document: { is: { label } } },
    });
    assert.deepEqual(
      hits.map((h) => h.rawText),
      ["a cat on a mat", "stock markets fell"],
    );
    const text = await prisma.annotation.textSearch!({ query: "cat", where: { label } });
    assert.equal(text.length, 2);
    const hybrid = await prisma.annotation.hybridSearch!({ query: "cat mat", where: { label }, take: 1 });
    assert.match(String(hybrid[0]?.rawText), /cat/);
  });
});
