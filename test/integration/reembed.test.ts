import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Embedder } from "../../src/embed/embedder.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { hybridStore } from "../../src/extension.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
after(() => base.$disconnect());

const missing = (label: string) =>
  withPg(async (pg) => {
    const r = await pg.query(
      `select count(*)::int as n from "Annotation" where label = $1 and (embedding is null or "embeddingModel" is distinct from $2)`,
      [label, tinyEmbedder().modelId],
    );
    return r.rows[0].n as number;
  });

describe("$reembed", () => {
  test("backfills rows written by another client, resumes after an interruption", async () => {
    const label = uniqueLabel("reembed");
    const doc = await base.document.create({ data: { content: "plain prisma writes no vectors", label } });
    await base.annotation.createMany({
      data: Array.from({ length: 50 }, (_, i) => ({ documentId: doc.id, rawText: `row ${i} text`, label })),
    });
    assert.equal(await missing(label), 50);

    // An embedder that dies after two batches stands for a crash in the middle of the backfill.
    let batches = 0;
    const flaky: Embedder = {
      modelId: tinyEmbedder().modelId,
      dimensions: 384,
      embed: async (texts) => {
        if (++batches > 2) throw new Error("killed");
        return tinyEmbedder().embed(texts);
      },
    };
    const first = base.$extends(hybridStore({ embedder: flaky, cacheSize: 0 }));
    await assert.rejects(first.$reembed({ models: ["Annotation"], batchSize: 10 }), /killed/);
    const left = await missing(label);
    assert.ok(left < 50 && left > 0, `two batches were kept, ${left} left`);

    const calls: string[][] = [];
    const counting: Embedder = {
      modelId: tinyEmbedder().modelId,
      dimensions: 384,
      embed: async (texts) => {
        calls.push([...texts]);
        return tinyEmbedder().embed(texts);
      },
    };
    const second = base.$extends(hybridStore({ embedder: counting, cacheSize: 0 }));
    const progress: number[] = [];
    await second.$reembed({ models: ["Annotation"], batchSize: 10, onProgress: (p) => progress.push(p.done) });
    assert.equal(await missing(label), 0);
    const redone = calls.flat().filter((t) => /^row \d+ text$/.test(t));
    assert.ok(redone.length <= left, "finished rows are not embedded again");
    assert.ok(progress.length > 0 && progress.every((d, i) => i === 0 || d > progress[i - 1]!));
  });

  test("rows embedded by another model are redone", async () => {
    const label = uniqueLabel("model");
    const other: Embedder = { modelId: "other/model", dimensions: 384, embed: (t) => tinyEmbedder().embed(t) };
    const prisma = base.$extends(hybridStore({ embedder: other }));
    await prisma.document.create({
      data: { content: "from the old model", label, annotations: { create: { rawText: "old", label } } },
    });
    assert.equal(await missing(label), 1);
    await base.$extends(hybridStore({ embedder: tinyEmbedder() })).$reembed({ models: ["Annotation"] });
    assert.equal(await missing(label), 0);
  });

  test("bad options are typed errors", async () => {
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    await assert.rejects(prisma.$reembed({ batchSize: 0 }), InvalidArgumentError);
  });
});
