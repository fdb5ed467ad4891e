import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { hybridStore } from "../../src/extension.ts";
import { chunkText } from "../../src/ingest/chunk-text.ts";
import { ingestFiles } from "../../src/ingest/ingest-files.ts";
import { tempCorpora } from "../helpers/cli.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const { corpus } = tempCorpora("phs-ingest-race-");
// Four clients with their own pools, as four `ingest` processes would have.
const bases = Array.from({ length: 4 }, () => createPrisma({ max: 2 }));
after(() => Promise.all(bases.map((b) => b.$disconnect())));
const stores = bases.map((b) => b.$extends(hybridStore({ embedder: tinyEmbedder() })));

const text = (topic: string, n: number) =>
  Array.from({ length: n }, (_, i) => `The ${topic} sentence ${i} says something about ${topic}.`).join(" ");

/** Per source: the chunk positions stored, in order, and the chunk texts. */
async function chunksBySource(label: string) {
  return withPg(async (pg) => {
    const r = await pg.query(
      `select d.source, a.position, a."rawText" from "Document" d join "Annotation" a on a."documentId" = d.id
        where d.label = $1 order by d.source, a.position`,
      [label],
    );
    const out = new Map<string, { positions: number[]; texts: string[] }>();
    for (const row of r.rows as { source: string; position: number; rawText: string }[]) {
      const entry = out.get(row.source) ?? { positions: [], texts: [] };
      entry.positions.push(row.position);
      entry.texts.push(row.rawText);
      out.set(row.source, entry);
    }
    return out;
  });
}

describe("concurrent ingests of the same files", () => {
  const files = (round: string) => ({
    "a.md": `# A\n\n${text(`alpha${round}`, 14)}`,
    "b.txt": text(`bravo${round}`, 9),
    "c.md": text(`charlie${round}`, 5),
  });
  const label = uniqueLabel("race");
  const dir = corpus(files("one"));
  const options = { label, maxChars: 200, overlap: 40, root: dir };
  const ingestAll = () => Promise.allSettled(stores.map((s) => ingestFiles(s, [dir], options)));

  async function expectExactlyOnce(round: string) {
    const stored = await chunksBySource(label);
    assert.equal(stored.size, 3);
    for (const [name, content] of Object.entries(files(round))) {
      // The chunker alone is the oracle for what one run stores.
      const expected = chunkText(content, options);
      const entry = stored.get(name);
      assert.ok(entry, `${name} is stored`);
      assert.deepEqual(entry.texts, expected, `${name}: its chunks, once`);
      assert.deepEqual(
        entry.positions,
        expected.map((_, i) => i),
      );
    }
  }

  test("new files: every run succeeds and each file is stored once with its chunks", async () => {
    const results = await ingestAll();
    for (const r of results) assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
    await expectExactlyOnce("one");
    const single = await chunksBySource(label);
    // A fifth run finds everything unchanged and writes nothing.
    const again = await ingestFiles(stores[0]!, [dir], options);
    assert.deepEqual(again.files, { new: 0, changed: 0, unchanged: 3 });
    assert.deepEqual(await chunksBySource(label), single);
  });

  test("changed files: each file ends with exactly its new chunks, once", async () => {
    for (const [name, content] of Object.entries(files("two"))) writeFileSync(join(dir, name), content);
    const results = await ingestAll();
    for (const r of results) assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
    await expectExactlyOnce("two");
  });
});
