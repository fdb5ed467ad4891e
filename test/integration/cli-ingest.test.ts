import assert from "node:assert/strict";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Embedder } from "../../src/embed/embedder.ts";
import { hybridStore } from "../../src/extension.ts";
import { IngestFileError } from "../../src/ingest/ingest-error.ts";
import { ingestFiles } from "../../src/ingest/ingest-files.ts";
import type { IngestProgress } from "../../src/ingest/ingest-types.ts";
import { pruneDocuments } from "../../src/ingest/prune.ts";
import { errorLines, runCli, tempCorpora } from "../helpers/cli.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const base = createPrisma();
const { corpus, track } = tempCorpora("phs-cli-ingest-");
after(() => base.$disconnect());

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
    // Sources are relative to the root: names of its own, so that no other test's 1.md counts.
    const [one, two, three] = [1, 2, 3].map((n) => `${label}-${n}.md`);
    const dir = corpus({ [one!]: sentences("one", 4), [two!]: sentences("two", 4), [three!]: sentences("three", 4) });
    // The three small files share one transaction; the second one's embedding fails.
    const crashing = base.$extends(hybridStore({ embedder: failingEmbedder("two"), cacheSize: 0 }));
    await assert.rejects(ingestFiles(crashing, [dir], { label, root: dir }), (e: unknown) => {
      assert.ok(e instanceof IngestFileError);
      assert.equal(e.file, two);
      assert.equal(e.code, "EMBEDDING_FAILED");
      return true;
    });
    assert.deepEqual([...new Set((await stored(label)).map((r) => r.source))], [one]);

    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const result = await ingestFiles(prisma, [dir], { label, root: dir });
    assert.deepEqual(result.files, { new: 2, changed: 0, unchanged: 1 });
    assert.deepEqual([...new Set((await stored(label)).map((r) => r.source))], [one, two, three]);
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
    // Sources are relative to the root: names of its own, so that no other test's a.md is "changed".
    const dir = corpus(Object.fromEntries(["a", "b", "c"].map((f) => [`${label}-${f}.md`, sentences(f, 8)])));
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

/** Sources of the documents with this label, sorted, and how many chunks they have. */
async function documents(label: string): Promise<{ source: string; chunks: number }[]> {
  return withPg(async (pg) => {
    const r = await pg.query(
      `select d.source, count(a.id)::int as chunks from "Document" d left join "Annotation" a on a."documentId" = d.id
        where d.label = $1 group by d.source order by d.source`,
      [label],
    );
    return r.rows as { source: string; chunks: number }[];
  });
}

describe("prisma-hybrid-store ingest --prune", () => {
  test("removes the documents and chunks of deleted files inside the directories given, and lists them", async () => {
    const label = uniqueLabel("prune");
    const dir = corpus({
      "a.md": sentences("alpha", 4),
      "b.txt": sentences("bravo", 4),
      "sub/c.md": sentences("charlie", 4),
      "sub/deeper/d.md": sentences("delta", 4),
    });
    const other = corpus({ "x.md": sentences("xray", 4) });
    for (const path of [dir, other]) {
      const run = await runCli(["ingest", path, "--label", label]);
      assert.equal(run.code, 0, run.stderr);
    }
    // Rows ingest did not write: the app's own document naming a missing file in the directory,
    // and one whose source is a URL that merely ends in .md.
    await base.document.create({ data: { source: join(dir, "app.md"), content: "the app's", label } });
    await base.document.create({
      data: {
        source: `https://example.com/${label}.md`,
        content: "a page",
        label,
        metadata: { ingest: { maxChars: 800, overlap: 100, root: dir } },
      },
    });
    rmSync(join(dir, "b.txt"));
    rmSync(join(dir, "sub"), { recursive: true });
    rmSync(join(other, "x.md"));

    const without = await runCli(["ingest", dir, "--label", label]);
    assert.equal(without.code, 0, without.stderr);
    assert.match(without.stdout, /1 file\(s\): 0 new, 0 changed, 1 unchanged/);
    assert.doesNotMatch(without.stdout, /Removed/);
    assert.equal((await documents(label)).length, 7, "without --prune nothing is deleted");

    const run = await runCli(["ingest", dir, "--label", label, "--prune"]);
    assert.equal(run.code, 0, run.stderr);
    const removed = ["b.txt", "sub/c.md", "sub/deeper/d.md"].map((f) => join(dir, f));
    assert.equal(
      run.stdout.trim(),
      [
        run.stdout.split("\n")[0],
        "Removed 3 document(s) of deleted files:",
        ...removed.map((source) => `  ${source}`),
      ].join("\n"),
    );
    const left = await documents(label);
    assert.deepEqual(
      left.map((d) => d.source),
      [join(dir, "a.md"), join(dir, "app.md"), join(other, "x.md"), `https://example.com/${label}.md`].sort(),
    );
    assert.ok(left.find((d) => d.source === join(dir, "a.md"))!.chunks > 0, "kept files keep their chunks");
    const orphans = await withPg((pg) =>
      pg.query(
        `select count(*)::int as n from "Annotation" a where a.label = $1 and not exists
        (select 1 from "Document" d where d.id = a."documentId" and d.label = $1)`,
        [label],
      ),
    );
    assert.equal(orphans.rows[0].n, 0);

    const again = await runCli(["ingest", dir, "--label", label, "--prune"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /No documents of deleted files to remove\./);
  });

  test("relative sources are pruned from the directory they were ingested from, never from another", async () => {
    const label = uniqueLabel("prune-rel");
    const folder = `notes-${label}`;
    const home = corpus({ [`${folder}/keep.md`]: sentences("keep", 3), [`${folder}/gone.md`]: sentences("gone", 3) });
    const elsewhere = corpus({ [`${folder}/unrelated.md`]: sentences("unrelated", 3) });
    const first = await runCli(["ingest", folder, "--label", label], { cwd: home });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(
      (await documents(label)).map((d) => d.source),
      [`${folder}/gone.md`, `${folder}/keep.md`],
    );
    rmSync(join(home, folder, "gone.md"));

    // Same relative path, another directory: its own file is added, nothing of `home` goes.
    const other = await runCli(["ingest", folder, "--label", label, "--prune"], { cwd: elsewhere });
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /No documents of deleted files to remove\./);
    assert.equal((await documents(label)).length, 3);

    // A file, not a directory, scopes nothing.
    const file = await runCli(["ingest", join(folder, "keep.md"), "--label", label, "--prune"], { cwd: home });
    assert.equal(file.code, 0, file.stderr);
    assert.match(file.stdout, /No documents of deleted files to remove\./);

    const run = await runCli(["ingest", ".", "--label", label, "--prune"], { cwd: home });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Removed 1 document\\(s\\) of deleted files:\n  ${folder}/gone\\.md\n`));
    assert.deepEqual(
      (await documents(label)).map((d) => d.source),
      [`${folder}/keep.md`, `${folder}/unrelated.md`],
    );
  });

  test("--help describes --prune", async () => {
    const help = await runCli(["ingest", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--prune\s+afterwards, delete the documents/);
  });
});

describe("pruneDocuments (library)", () => {
  const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));

  test("dryRun lists without deleting; documents without a recorded root are kept", async () => {
    const label = uniqueLabel("prune-lib");
    // File names of their own: sources relative to the root are unique in the shared database.
    const [a, b, c] = ["a", "b", "c"].map((f) => `${label}-${f}.md`) as [string, string, string];
    const dir = corpus({ [a]: sentences("a", 3), [b]: sentences("b", 3), [c]: sentences("c", 3) });
    await ingestFiles(prisma, [dir], { label, root: dir });
    // As an earlier version stored it: chunk settings only.
    await base.document.update({
      where: { source: c },
      data: { metadata: { ingest: { maxChars: 800, overlap: 100 } } },
    });
    rmSync(join(dir, b));
    rmSync(join(dir, c));
    assert.deepEqual(await pruneDocuments(prisma, [dir], { dryRun: true }), [b]);
    assert.equal((await documents(label)).length, 3);
    assert.deepEqual(await pruneDocuments(prisma, [join(dir, "missing")]), []);
    assert.deepEqual(await pruneDocuments(prisma, [dir]), [b]);
    assert.deepEqual(
      (await documents(label)).map((d) => d.source),
      [a, c],
    );
  });

  test("a moved directory: ingesting it again records the new root, so pruning finds its files", async () => {
    const label = uniqueLabel("prune-moved");
    const [a, b] = ["a", "b"].map((f) => `${label}-${f}.md`) as [string, string];
    const dir = corpus({ [a]: sentences("a", 3), [b]: sentences("b", 3) });
    await ingestFiles(prisma, [dir], { label, root: dir });
    const moved = `${dir}-moved`;
    renameSync(dir, moved);
    track(moved);
    const again = await ingestFiles(prisma, [moved], { label, root: moved });
    assert.deepEqual(again.files, { new: 0, changed: 0, unchanged: 2 });
    rmSync(join(moved, b));
    const result = await ingestFiles(prisma, [moved], { label, root: moved, prune: true });
    assert.deepEqual(result.pruned, [b]);
    assert.deepEqual(
      (await documents(label)).map((d) => d.source),
      [a],
    );
  });
});
