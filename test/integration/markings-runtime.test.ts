/**
 * The extension reads the `/// @embed` markings of Document and Annotation from the schema text
 * the client carries: a marking decides which field is embedded, and a bad one fails
 * `$extends(hybridStore())` with the same message `generate` gives, before anything is written.
 * The schema text is edited in place on a fresh client (comments only: Prisma's own view of
 * the models is unchanged).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { InvalidSchemaError, SchemaMismatchError } from "../../src/errors.ts";
import { hybridStore } from "../../src/extension.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const bundled = readFileSync(new URL("../../prisma/schema.prisma", import.meta.url), "utf8");
const clients: PrismaClient[] = [];
after(async () => {
  for (const c of clients) await c.$disconnect();
});

/** A client whose schema text has `edit` applied to the bundled schema's. */
function clientWith(edit: (schema: string) => string): PrismaClient {
  const client = createPrisma({ max: 2 });
  clients.push(client);
  const config = (client as unknown as { _engineConfig: { inlineSchema: string } })._engineConfig;
  assert.equal(typeof config.inlineSchema, "string", "the client carries its schema text");
  assert.ok(config.inlineSchema.includes("/// @embed(from: rawText, hash: contentHash)"));
  const edited = edit(config.inlineSchema);
  assert.notEqual(edited, config.inlineSchema);
  config.inlineSchema = edited;
  return client;
}

describe("markings read by the extension", () => {
  test("the bundled client's schema text has the same markings as prisma/schema.prisma", () => {
    const client = createPrisma({ max: 1 });
    clients.push(client);
    const text = (client as unknown as { _engineConfig: { inlineSchema: string } })._engineConfig.inlineSchema;
    for (const line of bundled.split("\n").filter((l) => l.includes("@embed("))) assert.ok(text.includes(line.trim()));
  });

  test("an unknown source field: InvalidSchemaError naming it, at $extends", () => {
    const client = clientWith((s) => s.replace("@embed(from: content,", "@embed(from: contnet,"));
    assert.throws(
      () => client.$extends(hybridStore({ embedder: tinyEmbedder() })),
      (error: unknown) => {
        assert.ok(error instanceof InvalidSchemaError, String(error));
        assert.deepEqual(error.issues, [
          { path: ["Document", "embedding"], message: '@embed(from: contnet): model Document has no field "contnet"' },
        ]);
        return true;
      },
    );
  });

  test("an embedder whose dimensions differ from the vector fields': one issue per field", () => {
    const tiny = tinyEmbedder();
    const wide = { modelId: "wide", dimensions: 768, embed: (texts: readonly string[]) => tiny.embed(texts) };
    const client = createPrisma({ max: 1 });
    clients.push(client);
    assert.throws(
      () => client.$extends(hybridStore({ embedder: wide })),
      (error: unknown) => {
        assert.ok(error instanceof InvalidSchemaError, String(error));
        assert.deepEqual(
          error.issues.map((i) => [i.path.join("."), i.message.split(":")[0]]),
          [
            ["Document.embedding", 'is vector(384) but embedder "default" makes 768-dimensional vectors'],
            ["Annotation.embedding", 'is vector(384) but embedder "default" makes 768-dimensional vectors'],
          ],
        );
        return true;
      },
    );
  });

  test("a marking that names another source: the save hook embeds that field's text", async () => {
    const client = clientWith((s) =>
      s.replace("/// @embed(from: rawText, hash: contentHash)", "/// @embed(from: label, hash: contentHash)"),
    );
    const prisma = client.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const label = `${uniqueLabel("marked")} cats purr on warm mats`;
    const document = await prisma.document.create({ data: { content: "a document" } });
    const row = await prisma.annotation.create({
      data: { documentId: document.id, rawText: "unrelated words", label },
    });
    const stored = await withPg(
      async (c) => (await c.query(`select embedding::text as e from "Annotation" where id = $1`, [row.id])).rows[0].e,
    );
    const [expected] = await tinyEmbedder().embed([label]);
    assert.deepEqual((JSON.parse(stored) as number[]).map(Math.fround), expected!.map(Math.fround));
    const [hit] = await prisma.annotation.similaritySearch({ query: label, take: 1, exact: true, where: { label } });
    assert.equal(hit?.id, row.id);
    assert.ok(hit.similarity > 0.999, String(hit.similarity));
  });

  test("fullText: [] leaves a model without text search: textSearch and hybridSearch fail typed, before any embedding", async () => {
    const client = clientWith((s) =>
      s.replace(
        "/// @embed(from: rawText, hash: contentHash)",
        "/// @embed(from: rawText, fullText: [], hash: contentHash)",
      ),
    );
    const tiny = tinyEmbedder();
    let embedded = 0;
    const counting = {
      modelId: tiny.modelId,
      dimensions: tiny.dimensions,
      embed: (texts: readonly string[]) => {
        embedded += texts.length;
        return tiny.embed(texts);
      },
    };
    const prisma = client.$extends(hybridStore({ embedder: counting }));
    const label = uniqueLabel("no-full-text");
    const document = await prisma.document.create({ data: { content: "a document" } });
    const row = await prisma.annotation.create({ data: { documentId: document.id, rawText: `${label} words`, label } });
    const refused = (error: unknown) => {
      assert.ok(error instanceof SchemaMismatchError, String(error));
      assert.match(error.message, /Model "Annotation" has no full-text column: .*fullText: \[\]/);
      return true;
    };
    const before = embedded;
    await assert.rejects(prisma.annotation.textSearch({ query: "words", where: { label } }), refused);
    await assert.rejects(prisma.annotation.hybridSearch({ query: "words", where: { label } }), refused);
    assert.equal(embedded, before, "the refused searches embedded nothing");
    // Only text search is gone: the vector and the other model's full text still work.
    const [hit] = await prisma.annotation.similaritySearch({
      query: `${label} words`,
      take: 1,
      exact: true,
      where: { label },
    });
    assert.equal(hit?.id, row.id);
    assert.ok(Array.isArray(await prisma.document.textSearch({ query: "document", take: 1 })));
  });
});
