import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";

const prisma = createPrisma();
after(() => prisma.$disconnect());

describe("schema and migrations", () => {
  test("pgvector is installed", async () => {
    const rows = await prisma.$queryRaw<
      { extversion: string }[]
    >`select extversion from pg_extension where extname = 'vector'`;
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.extversion, /^0\.8\./);
  });

  test("embedding columns are vector(384)", async () => {
    const rows = await prisma.$queryRaw<{ table: string; type: string }[]>`
      select c.relname as "table", format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      where a.attname = 'embedding' and c.relname in ('Document', 'Annotation') order by 1`;
    assert.deepEqual(rows, [
      { table: "Annotation", type: "vector(384)" },
      { table: "Document", type: "vector(384)" },
    ]);
  });

  test("ORDER BY embedding <=> $1 LIMIT 10 uses the HNSW index", async () => {
    const vector = `[${Array.from({ length: 384 }, (_, i) => Math.sin(i)).join(",")}]`;
    for (const table of ["Annotation", "Document"]) {
      const plan = await prisma.$transaction([
        prisma.$executeRawUnsafe("SET LOCAL enable_seqscan = off"),
        prisma.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(
          `EXPLAIN SELECT id FROM "${table}" ORDER BY embedding <=> $1::vector LIMIT 10`,
          vector,
        ),
      ]);
      const text = plan[1].map((r) => r["QUERY PLAN"]).join("\n");
      assert.match(text, new RegExp(`Index Scan using "?${table}_embedding_hnsw_idx`), text);
    }
  });

  test("full-text and metadata indexes exist", async () => {
    const rows = await prisma.$queryRaw<{ indexname: string }[]>`
      select indexname from pg_indexes where tablename in ('Document', 'Annotation') order by 1`;
    const names = rows.map((r) => r.indexname);
    for (const n of [
      "Annotation_embedding_hnsw_idx",
      "Annotation_searchVector_idx",
      "Annotation_metadata_idx",
      "Annotation_documentId_position_idx",
      "Annotation_label_idx",
      "Document_embedding_hnsw_idx",
      "Document_searchVector_idx",
      "Document_label_idx",
    ]) {
      assert.ok(names.includes(n), `missing index ${n}`);
    }
  });

  test("deleting a document deletes its annotations", async () => {
    const label = uniqueLabel("cascade");
    const doc = await prisma.document.create({
      data: { content: "parent", label, annotations: { create: [{ rawText: "a" }, { rawText: "b" }] } },
    });
    assert.equal(await prisma.annotation.count({ where: { documentId: doc.id } }), 2);
    await prisma.document.delete({ where: { id: doc.id } });
    assert.equal(await prisma.annotation.count({ where: { documentId: doc.id } }), 0);
  });

  test("the database keeps contentHash and never a stale vector", async () => {
    const doc = await prisma.document.create({ data: { content: "first text" } });
    await withPg(async (pg) => {
      const v = `[${Array.from({ length: 384 }, () => 0.05).join(",")}]`;
      await pg.query(`update "Document" set "embeddingPayload" = $1, "embeddingModel" = 'm' where id = $2`, [
        v,
        doc.id,
      ]);
      const withVector = await pg.query(
        `select embedding is not null as has, "embeddingPayload", "contentHash" = md5(content) as hashed from "Document" where id = $1`,
        [doc.id],
      );
      assert.deepEqual(withVector.rows[0], { has: true, embeddingPayload: null, hashed: true });
      await pg.query(`update "Document" set title = 'renamed' where id = $1`, [doc.id]);
      const kept = await pg.query(`select embedding is not null as has from "Document" where id = $1`, [doc.id]);
      assert.equal(kept.rows[0].has, true, "a change that leaves the text alone keeps the vector");
      await pg.query(`update "Document" set content = 'second text' where id = $1`, [doc.id]);
      const cleared = await pg.query(
        `select embedding is null as cleared, "embeddingModel", "contentHash" = md5('second text') as hashed from "Document" where id = $1`,
        [doc.id],
      );
      assert.deepEqual(cleared.rows[0], { cleared: true, embeddingModel: null, hashed: true });
    });
    await prisma.document.delete({ where: { id: doc.id } });
  });

  test("a vector of the wrong length is rejected by the database", async () => {
    const doc = await prisma.document.create({ data: { content: "x" } });
    await withPg(async (pg) => {
      await assert.rejects(
        pg.query(`update "Document" set "embeddingPayload" = '[1,2,3]' where id = $1`, [doc.id]),
        /expected 384 dimensions/,
      );
    });
    await prisma.document.delete({ where: { id: doc.id } });
  });
});
