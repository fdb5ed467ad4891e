import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { hybridStore } from "../../src/extension.ts";
import { ingestFiles } from "../../src/ingest/ingest-files.ts";
import { runCli } from "../helpers/cli.ts";
import { createPrisma, uniqueLabel } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
const dir = mkdtempSync(join(tmpdir(), "phs-cli-search-"));
const label = uniqueLabel("cli-search");
const other = uniqueLabel("cli-search-other");

// The tiny test model embeds a bag of words: a query sharing the most words with a chunk is
// nearest to it. Orderings are compared, never thresholds.
const FILES: Record<string, string> = {
  "volcano.md": "Volcanoes erupt molten lava and ash. Magma chambers feed the eruption of a volcano.",
  "violin.md": "A violin has four strings tuned in fifths. The bow is strung with horsehair.",
  "glacier.md": "Glaciers are rivers of ice that carve valleys. A glacier moves a few metres a day.",
};

before(async () => {
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, label), { recursive: true });
    writeFileSync(join(dir, label, name), text);
  }
  mkdirSync(join(dir, other), { recursive: true });
  writeFileSync(join(dir, other, "volcano-notes.md"), "Volcano notes: lava, magma and ash from the volcano eruption.");
  const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
  await ingestFiles(prisma, [dir], { root: dir, label: (path) => path.split("/").at(-2) });
});
after(async () => {
  await base.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  id: string;
  documentId: string;
  rawText: string;
  label: string;
  document: { source: string };
  distance?: number;
  similarity?: number;
  rank?: number;
  score?: number;
  vectorRank?: number | null;
  textRank?: number | null;
}

async function search(...args: string[]): Promise<Row[]> {
  const run = await runCli(["search", ...args, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Row[];
}

describe("prisma-hybrid-store search", () => {
  test("vector: most similar first, similarity = 1 - distance, label filter applied", async () => {
    const rows = await search("lava magma volcano eruption", "--mode", "vector", "--label", label);
    assert.equal(rows.length, 3);
    assert.equal(rows[0]!.document.source, `${label}/volcano.md`);
    for (const row of rows) {
      assert.equal(row.label, label);
      assert.ok(Math.abs(row.similarity! - (1 - row.distance!)) < 1e-9);
    }
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.similarity! >= rows[i]!.similarity!);
  });

  test("without a label, other labels' rows compete", async () => {
    const rows = await search("lava magma volcano eruption", "--mode", "vector", "--take", "2");
    assert.equal(rows.length, 2);
    assert.deepEqual(
      new Set(rows.map((r) => r.document.source)),
      new Set([`${label}/volcano.md`, `${other}/volcano-notes.md`]),
    );
  });

  test("text: full-text matches only, best rank first; --contains filters the text", async () => {
    const rows = await search("glacier", "--mode", "text", "--label", label);
    assert.deepEqual(
      rows.map((r) => r.document.source),
      [`${label}/glacier.md`],
    );
    assert.ok(rows[0]!.rank! > 0);
    const contains = await search("volcano", "--mode", "text", "--contains", "NOTES");
    assert.deepEqual(
      contains.map((r) => r.document.source),
      [`${other}/volcano-notes.md`],
    );
  });

  test("hybrid (default): fused score first, with each list's rank; --document restricts", async () => {
    const rows = await search("violin strings", "--label", label);
    assert.equal(rows[0]!.document.source, `${label}/violin.md`);
    assert.equal(rows[0]!.vectorRank, 1);
    assert.equal(rows[0]!.textRank, 1);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.score! >= rows[i]!.score!);
    const only = await search("violin strings", "--document", rows[1]!.documentId);
    assert.ok(only.length > 0 && only.every((r) => r.documentId === rows[1]!.documentId));
  });

  test("--model document searches whole documents", async () => {
    const run = await runCli([
      "search",
      "ice valleys glacier",
      "--model",
      "document",
      "--mode",
      "vector",
      "--label",
      label,
      "--json",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const docs = JSON.parse(run.stdout) as { source: string; title: string; content: string; similarity: number }[];
    assert.equal(docs[0]!.source, `${label}/glacier.md`);
    assert.equal(docs[0]!.title, "glacier");
  });

  test("the default output is a table, best first; no results is said plainly", async () => {
    const run = await runCli(["search", "violin", "--mode", "text", "--label", label]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^#\s+rank\s+label\s+source\s+text$/);
    assert.match(
      lines[2]!,
      new RegExp(`^1\\s+\\d\\.\\d{4}\\s+${label}\\s+${label}/violin\\.md #0\\s+A violin has four strings`),
    );
    const none = await runCli(["search", "xylophone", "--mode", "text", "--label", label]);
    assert.equal(none.stdout.trim(), "No results.");
  });
});
