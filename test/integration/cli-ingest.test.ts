import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Embedder } from "../../src/embed/embedder.ts";
import { hybridStore } from "../../src/extension.ts";
import { IngestFileError } from "../../src/ingest/ingest-error.ts";
import { ingestFiles } from "../../src/ingest/ingest-files.ts";
import type { IngestProgress } from "../../src/ingest/ingest-types.ts";
import { errorLines, runCli } from "../helpers/cli.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
const dirs: string[] = [];
after(async () => {
  await base.$disconnect();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function corpus(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "phs-cli-ingest-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const sentences = (topic: string, n: number) =>
  Array.from({ length: n }, (_, i) => `The ${topic} sentence number ${i} talks about ${topic} again.`).join(" ");

/** Annotations of a label, per source, with what the database stored. */
async function stored(label: string) {
  return withPg(async (pg) => {
    const r = await pg.query(
      `select d.id as "documentId", d.source, d."contentHash" = md5(d.content) as "hashOk", d.embedding is not null as "docVector",
              a.id, a."rawText", a.position, a.page, a.embedding is not null as "hasVector", a."embeddingModel"
         from "Document" d left join "Annotation" a on a."documentId" = d.id
        where d.label = $1 order by d.source, a.position`,
      [label],
    );
    return r.rows as {
      documentId: string;
      source: string;
      hashOk: boolean;
      docVector: boolean;
      id: string | null;
      rawText: string | null;
      position: number | null;
      page: number | null;
      hasVector: boolean;
      embeddingModel: string | null;
    }[];
  });
}

describe("prisma-hybrid-store ingest", () => {
  const label = uniqueLabel("cli-ingest");
  const dir = corpus({
    "a.md": `# Alpha\n\n${sentences("alpha", 12)}`,
    "b.txt": sentences("bravo", 3),
    "sub/c.md": `# Charlie\n\n${sentences("charlie", 6)}`,
    "ignored.png": "not text",
  });
  const ingest = () => runCli(["ingest", dir, "--label", label, "--chunk-size", "200", "--overlap", "60"]);
  let first: Awaited<ReturnType<typeof stored>> = [];

  test("stores every file as a document with embedded, ordered chunks", async () => {
    const run = await ingest();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /3 file\(s\): 3 new, 0 changed, 0 unchanged\. \d+ chunk\(s\) written/);
    first = await stored(label);
    const sources = [...new Set(first.map((r) => r.source))];
    assert.deepEqual(
      sources,
      ["a.md", "b.txt", "sub/c.md"].map((f) => join(dir, f)),
    );
    for (const row of first) {
      assert.ok(row.hasVector && row.docVector, `${row.source} #${row.position} has its vectors`);
      assert.ok(row.hashOk);
      assert.equal(row.page, null);
      assert.ok(row.rawText && row.rawText.length <= 200);
    }
    const positions = first.filter((r) => r.source.endsWith("a.md")).map((r) => r.position);
    assert.deepEqual(
      positions,
      positions.map((_, i) => i),
    );
    assert.ok(positions.length >= 4, "a.md is split into several chunks");
  });

  test("a second run skips unchanged files and writes nothing", async () => {
    const run = await ingest();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /3 file\(s\): 0 new, 0 changed, 3 unchanged\. 0 chunk\(s\) written/);
    assert.deepEqual(
      (await stored(label)).map((r) => r.id),
      first.map((r) => r.id),
    );
  });

  test("a changed file gets new chunks; the others keep theirs", async () => {
    writeFileSync(join(dir, "b.txt"), `${sentences("bravo", 3)} A new closing sentence mentions zebras.`);
    const run = await ingest();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /0 new, 1 changed, 2 unchanged/);
    const now = await stored(label);
    const ids = (rows: typeof now, suffix: string) => rows.filter((r) => r.source.endsWith(suffix)).map((r) => r.id);
    assert.deepEqual(ids(now, "a.md"), ids(first, "a.md"));
    assert.deepEqual(ids(now, "c.md"), ids(first, "c.md"));
    const b = now.filter((r) => r.source.endsWith("b.txt"));
    assert.equal(b[0]!.documentId, first.find((r) => r.source.endsWith("b.txt"))!.documentId, "same document row");
    assert.ok(
      b.every((r) => !ids(first, "b.txt").includes(r.id)),
      "old chunks are gone",
    );
    assert.ok(b.some((r) => r.rawText!.includes("zebras")));
    assert.ok(b.every((r) => r.hasVector));
  });

  test("other chunk settings re-chunk every file", async () => {
    const run = await runCli(["ingest", dir, "--label", label, "--chunk-size", "400", "--overlap", "0"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /0 new, 3 changed, 0 unchanged/);
  });

  test("bad options and paths fail with one line before anything is written", async () => {
    const overlap = await runCli(["ingest", dir, "--chunk-size", "100", "--overlap", "80"]);
    assert.equal(overlap.code, 2);
    assert.deepEqual(errorLines(overlap), [
      "prisma-hybrid-store ingest: --overlap must be at most half of --chunk-size (see 'prisma-hybrid-store ingest --help')",
    ]);
    const missing = await runCli(["ingest", join(dir, "missing-dir")]);
    assert.equal(missing.code, 1);
    assert.equal(errorLines(missing).length, 1);
    assert.match(missing.stderr, /missing-dir does not exist/);
  });
});

/** The tiny model, crashing on any text that contains `marker`. */
function failingEmbedder(marker: string): Embedder {
  const inner = tinyEmbedder();
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    embed: async (texts) => {
      if (texts.some((t) => t.includes(marker))) throw new Error("model crashed");
      return inner.embed(texts);
    },
  };
}

describe("ingestFiles (library)", () => {
  test("a crash leaves each file fully stored or absent, and the next run resumes", async () => {
    const label = uniqueLabel("resume");
    const dir = corpus({ "1.md": sentences("one", 4), "2.md": sentences("two", 4), "3.md": sentences("three", 4) });
    // The three small files share one transaction; the second one's embedding fails.
    const crashing = base.$extends(hybridStore({ embedder: failingEmbedder("two"), cacheSize: 0 }));
    await assert.rejects(ingestFiles(crashing, [dir], { label, root: dir }), (e: unknown) => {
      assert.ok(e instanceof IngestFileError);
      assert.equal(e.file, "2.md");
      assert.equal(e.code, "EMBEDDING_FAILED");
      return true;
    });
    assert.deepEqual([...new Set((await stored(label)).map((r) => r.source))], ["1.md"]);

    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const result = await ingestFiles(prisma, [dir], { label, root: dir });
    assert.deepEqual(result.files, { new: 2, changed: 0, unchanged: 1 });
    assert.deepEqual([...new Set((await stored(label)).map((r) => r.source))], ["1.md", "2.md", "3.md"]);
  });

  test("a changed file is replaced in one transaction: a failure in a later batch keeps the old chunks", async () => {
    const label = uniqueLabel("atomic");
    const dir = corpus({ "doc.md": sentences("original", 6) });
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    await ingestFiles(prisma, [dir], { label, root: dir, maxChars: 100, overlap: 0 });
    const before = await stored(label);

    // The third batch of the new version fails inside the database, after the delete, the
    // document update and two createMany batches have run in the same transaction.
    const marker = `FAIL-${label}`;
    writeFileSync(join(dir, "doc.md"), `${sentences("replacement", 6)} ${marker} is here.`);
    await withPg((pg) =>
      pg.query(`create function phs_test_fail() returns trigger language plpgsql as $$
        begin if new."rawText" like '%${marker}%' then raise exception 'injected failure'; end if; return new; end $$;
        create trigger phs_test_fail before insert on "Annotation" for each row execute function phs_test_fail();`),
    );
    try {
      await assert.rejects(
        ingestFiles(prisma, [dir], { label, root: dir, maxChars: 100, overlap: 0, batchSize: 2 }),
        (e: unknown) => e instanceof IngestFileError && /injected failure/.test(e.message),
      );
    } finally {
      await withPg((pg) => pg.query(`drop trigger phs_test_fail on "Annotation"; drop function phs_test_fail();`));
    }
    const after = await stored(label);
    assert.deepEqual(after, before, "document and chunks are exactly as before");
    const doc = await base.document.findFirstOrThrow({ where: { label } });
    assert.ok(doc.content.includes("original") && !doc.content.includes("replacement"));
  });

  test("reports progress with totals, rate and time left; a signal stops between files", async () => {
    const label = uniqueLabel("progress");
    const dir = corpus({ "a.md": sentences("a", 8), "b.md": sentences("b", 8), "c.md": sentences("c", 8) });
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const events: IngestProgress[] = [];
    const controller = new AbortController();
    const result = await ingestFiles(prisma, [dir], {
      label,
      root: dir,
      maxChars: 150,
      overlap: 30,
      batchSize: 2, // every file has more chunks: one transaction per file, so the signal is seen between files
      signal: controller.signal,
      onProgress: (p) => {
        events.push(p);
        if (p.files.done === 2) controller.abort();
      },
    });
    assert.equal(result.aborted, true);
    assert.deepEqual(result.files, { new: 2, changed: 0, unchanged: 0 });
    const [start, ...rest] = events;
    assert.deepEqual(start?.files, { done: 0, total: 3 });
    assert.ok(start!.chunks.total > 3);
    assert.equal(start!.eta, undefined);
    for (const p of rest) {
      assert.ok(p.rate > 0 && p.eta !== undefined && p.eta >= 0);
      assert.ok(p.file?.endsWith(".md"));
    }
    assert.equal(rest.at(-1)!.chunks.done, result.chunks);
  });
});
