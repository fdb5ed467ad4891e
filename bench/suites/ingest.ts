/**
 * ingest: what the save hook costs. Three paths write the same texts in the same batches:
 * - library: the extended client (`createMany` in chunks; `document.create` with nested annotations);
 * - Prisma alone: the plain client, the caller embeds and passes the vector text itself;
 * - hand-written: the same embedder plus a hand-written multi-row INSERT.
 * They alternate batch by batch in one run. Then the peak memory of a long createMany stream,
 * measured in a child process, and a bulk load into an empty store (ingest-bulk.ts).
 */
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";
import { hybridStore } from "../../src/extension.ts";
import { vectorToSql } from "../../src/sql/vector-text.ts";
import { basePrisma } from "../clients.ts";
import { createSpace, sentences } from "../data.ts";
import { forgetDataset } from "../dataset.ts";
import { dropIndexes, insertDocuments, rebuildIndexes, withPg } from "../load.ts";
import { fmt, MemorySampler } from "../measure.ts";
import type { SuiteResult } from "../report.ts";
import type { Suite, SuiteContext } from "../suite.ts";
import { tinyModelDir } from "../tiny-model.ts";
import { bulkLoadRows, bulkLoadRun } from "./ingest-bulk.ts";
import { type MemoryMode, type MemoryRun, runMemoryChild } from "./ingest-child.ts";
import { interleaved, type Paths, type PathTimes, throughputRow } from "./ingest-compare.ts";
import {
  type DocumentRow,
  type IngestRow,
  insertAnnotations,
  insertDocument,
  insertDocumentRows,
} from "./ingest-sql.ts";

const CHUNK = 1000;
const PER_DOCUMENT = 20;
/** Documents are longer than annotations (5 sentences here), so fewer per batch. */
const DOCUMENT_CHUNK = 200;
const SENTENCES_PER_DOCUMENT = 5;

export const ingest: Suite = {
  name: "ingest",
  summary: "save-hook cost: createMany / nested create vs embedder + hand-written INSERT; peak memory",
  run,
};

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const { target, log } = ctx;
  forgetDataset(); // this suite empties the tables the search/plans dataset lives in
  const rows = ctx.quick ? 2000 : 6000;
  const documents = ctx.quick ? 30 : 60;
  const indexedRows = ctx.quick ? 1000 : 2000;
  const base = basePrisma(target.url);
  const embedder = new MiniLmEmbedder({ modelDir: tinyModelDir });
  await embedder.ready();
  const model = embedder.modelId;
  const stream = sentences(createSpace());
  // One store, as an app has, with no embedding cache: every batch embeds its texts anew, and the
  // store's catalog reads (column types, Citus) are paid once, not per batch.
  const library = base.$extends(hybridStore({ embedder, cacheSize: 0 }));
  const fresh = () => library;
  const payload = (v: number[]) => ({ embeddingPayload: vectorToSql(v), embeddingModel: model });
  const reset = async () => {
    await base.$executeRawUnsafe(`TRUNCATE "Annotation", "Document"`);
    await withPg(target.url, (c) => insertDocuments(c, Math.ceil((rows + 2 * CHUNK) / 50)));
  };

  const flatRows = (n: number): IngestRow[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `a${i}`,
      documentId: `d${Math.floor(i / 50)}`,
      rawText: stream.next().value!,
      label: `l${i % 100}`,
      page: i % 1000,
      position: i % 50,
      metadata: { i },
    }));
  const nestedDocs = (n: number) =>
    Array.from({ length: n }, (_, d) => ({
      id: `n${d}`,
      content: stream.next().value!,
      annotations: flatRows(PER_DOCUMENT).map(({ documentId: _, ...a }, k) => ({ ...a, id: `n${d}_${k}` })),
    }));
  type Doc = ReturnType<typeof nestedDocs>[number];
  const documentRows = (n: number): DocumentRow[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `doc${i}`,
      title: `title ${i}`,
      content: Array.from({ length: SENTENCES_PER_DOCUMENT }, () => stream.next().value!).join(" "),
      label: `l${i % 100}`,
      metadata: { i },
    }));

  const createMany: Paths<IngestRow[]> = {
    library: (c) => fresh().annotation.createMany({ data: c }),
    prismaAlone: async (c) => {
      const vectors = await embedder.embed(c.map((r) => r.rawText));
      await base.annotation.createMany({ data: c.map((r, i) => ({ ...r, ...payload(vectors[i]!) })) });
    },
    handWritten: async (c) => {
      const vectors = await embedder.embed(c.map((r) => r.rawText));
      const { sql, params } = insertAnnotations(c, vectors, model);
      await base.$executeRawUnsafe(sql, ...params);
    },
  };
  const documentMany: Paths<DocumentRow[]> = {
    library: (c) => fresh().document.createMany({ data: c }),
    prismaAlone: async (c) => {
      const vectors = await embedder.embed(c.map((r) => r.content));
      await base.document.createMany({ data: c.map((r, i) => ({ ...r, ...payload(vectors[i]!) })) });
    },
    handWritten: async (c) => {
      const vectors = await embedder.embed(c.map((r) => r.content));
      const { sql, params } = insertDocumentRows(c, vectors, model);
      await base.$executeRawUnsafe(sql, ...params);
    },
  };
  const nested: Paths<Doc> = {
    library: (d) =>
      fresh().document.create({ data: { id: d.id, content: d.content, annotations: { create: d.annotations } } }),
    prismaAlone: async (d) => {
      const [v, ...vs] = await embedder.embed([d.content, ...d.annotations.map((a) => a.rawText)]);
      const create = d.annotations.map((a, i) => ({ ...a, ...payload(vs[i]!) }));
      await base.document.create({ data: { id: d.id, content: d.content, ...payload(v!), annotations: { create } } });
    },
    handWritten: async (d) => {
      const vectors = await embedder.embed([d.content, ...d.annotations.map((a) => a.rawText)]);
      const doc = insertDocument(d.id, d.content, vectors[0]!, model);
      const anns = insertAnnotations(
        d.annotations.map((a) => ({ ...a, documentId: d.id })),
        vectors.slice(1),
        model,
      );
      await base.$transaction([
        base.$executeRawUnsafe(doc.sql, ...doc.params),
        base.$executeRawUnsafe(anns.sql, ...anns.params),
      ]);
    },
  };
  const tagRows = (c: IngestRow[], tag: string) => c.map((r) => ({ ...r, id: tag + r.id }));
  const tagDoc = (d: Doc, tag: string) => ({
    ...d,
    id: tag + d.id,
    annotations: d.annotations.map((a) => ({ ...a, id: tag + a.id })),
  });

  // Main comparison without the HNSW graphs: on PGlite each inserted row costs milliseconds of
  // index maintenance, the same on every path, which would drown what the library adds.
  const hnsw = await withPg(target.url, async (c) => [
    ...(await dropIndexes(c, "Annotation", ["hnsw"])),
    ...(await dropIndexes(c, "Document", ["hnsw"])),
  ]);
  await reset();
  log(
    `  ${rows} annotations per path via createMany (batches of ${CHUNK}); ${documents} documents x ${PER_DOCUMENT} annotations per path via nested create`,
  );
  const flat = await interleaved(createMany, chunks(flatRows(rows + CHUNK), CHUNK), tagRows);
  log(`  createMany: ${line(flat)}`);
  const documentCount = ctx.quick ? 600 : 1200;
  const docs = await interleaved(
    documentMany,
    chunks(documentRows(documentCount + DOCUMENT_CHUNK), DOCUMENT_CHUNK),
    (c, tag) => c.map((r) => ({ ...r, id: tag + r.id })),
  );
  log(`  document createMany: ${line(docs)}`);
  const nest = await interleaved(nested, nestedDocs(documents + 1), tagDoc);
  log(`  nested create: ${line(nest)}`);
  const embedMs: number[] = [];
  for (const c of chunks(flatRows(rows), CHUNK)) {
    const t = performance.now();
    await embedder.embed(c.map((x) => x.rawText));
    embedMs.push(performance.now() - t);
  }

  await reset();
  await withPg(target.url, (c) => rebuildIndexes(c, hnsw, log));
  const indexedChunk = 500;
  const indexed = await interleaved(createMany, chunks(flatRows(indexedRows + indexedChunk), indexedChunk), tagRows);
  log(`  createMany with HNSW in place: ${line(indexed)}`);

  const memory: (MemoryRun & { databaseProcessPeakRssMiB: number | null })[] = [];
  // Bigger sizes from --rows also run "Prisma alone", to tell Prisma's memory from the hook's.
  const bigger = (ctx.rows ?? []).filter((n) => n > 50_000);
  const runsToDo: [number, MemoryMode][] = ctx.quick
    ? [[10_000, "library"]]
    : [
        [50_000, "library"],
        ...bigger.flatMap((n): [number, MemoryMode][] => [
          [n, "library"],
          [n, "prisma"],
        ]),
      ];
  const again = await withPg(target.url, (c) => dropIndexes(c, "Annotation", ["hnsw"]));
  for (const [size, mode] of runsToDo) {
    await base.$executeRawUnsafe(`TRUNCATE "Annotation", "Document"`);
    log(`  memory: ${size} annotations through createMany (batches of ${CHUNK}, ${mode}) in a child process`);
    const parent = new MemorySampler(50);
    const child = await runMemoryChild(target.url, size, CHUNK, mode);
    const db = parent.stop();
    memory.push({ ...child, databaseProcessPeakRssMiB: target.name === "pglite" ? db.peakRssMiB : null });
    log(
      `  memory ${size}: peak RSS ${fmt(child.peakRssMiB, 0)} MiB, peak heap ${fmt(child.peakHeapMiB, 0)} MiB, ${fmt(size / child.seconds, 0)} rows/s`,
    );
  }
  await base.$executeRawUnsafe(`TRUNCATE "Annotation", "Document"`);
  await withPg(target.url, (c) => rebuildIndexes(c, again, log));
  await base.$disconnect();
  const bulkLoad = await bulkLoadRun(ctx, embedder);

  const pglite = target.name === "pglite";
  const embedRate = (CHUNK * embedMs.length) / (embedMs.reduce((a, b) => a + b, 0) / 1000);
  return {
    suite: "ingest",
    target: target.name,
    description: target.description,
    command: ctx.command,
    params: {
      rows,
      documents,
      chunk: CHUNK,
      documentCount,
      documentChunk: DOCUMENT_CHUNK,
      indexedRows,
      indexedChunk,
      annotationsPerDocument: PER_DOCUMENT,
      embedder: "models/tiny-minilm",
    },
    tables: [
      {
        title:
          "Throughput (tiny test model as the embedder; paths alternate batch by batch; ratio = median per-batch time ratio)",
        columns: [
          "what",
          "library",
          "Prisma alone",
          "hand-written SQL",
          "library / Prisma alone",
          "library / hand-written",
          "target <= 1.15x",
        ],
        rows: [
          throughputRow(
            `createMany, ${rows} annotations, batches of ${CHUNK}, no HNSW index`,
            flat,
            CHUNK,
            "annotations/s",
          ),
          throughputRow(
            `document createMany, ${documentCount} documents of ${SENTENCES_PER_DOCUMENT} sentences, batches of ${DOCUMENT_CHUNK}, no HNSW index`,
            docs,
            DOCUMENT_CHUNK,
            "documents/s",
          ),
          throughputRow(
            `document create + ${PER_DOCUMENT} nested annotations, x${documents}, no HNSW index`,
            nest,
            1,
            "documents/s",
          ),
          throughputRow(
            `createMany, ${indexedRows} annotations, batches of ${indexedChunk}, HNSW index in place`,
            indexed,
            indexedChunk,
            "annotations/s",
          ),
          [
            `the embedder alone, ${rows} texts in batches of ${CHUNK}`,
            `${fmt(embedRate, 0)} texts/s`,
            "",
            "",
            "",
            "",
            "",
          ],
        ],
      },
      {
        title: `Peak memory of the client process: createMany in batches of ${CHUNK}, RSS and heap sampled every 20 ms`,
        columns: [
          "annotations",
          "client",
          "rows/s",
          "RSS at start",
          "peak RSS",
          "peak heap used",
          "heap after GC, start -> end",
          "target < 1 GiB (100k)",
          ...(pglite ? ["PGlite process peak RSS"] : []),
        ],
        rows: memory.map((m) => [
          m.rows,
          m.mode === "prisma" ? "Prisma alone" : "library",
          fmt(m.rows / m.seconds, 0),
          `${fmt(m.startRssMiB, 0)} MiB`,
          `${fmt(m.peakRssMiB, 0)} MiB`,
          `${fmt(m.peakHeapMiB, 0)} MiB`,
          `${fmt(m.heapAtStartMiB, 0)} -> ${fmt(m.heapAfterGcMiB, 0)} MiB`,
          m.rows >= 100_000 ? (m.peakRssMiB < 1024 ? "met" : "missed") : "-",
          ...(pglite ? [`${fmt(m.databaseProcessPeakRssMiB ?? Number.NaN, 0)} MiB`] : []),
        ]),
      },
      {
        title: `Bulk load into an empty store, timed to the end of the HNSW build (load average ${bulkLoad.load[0].toFixed(1)} at start / ${bulkLoad.load[1].toFixed(1)} at end)`,
        columns: [
          "what",
          "library",
          "hand-written INSERT + one CREATE INDEX",
          "library / hand-written rows/s",
          "target >= 0.8x",
        ],
        rows: bulkLoadRows(bulkLoad),
      },
    ],
    notes: [
      "Bulk load: the same precomputed vectors on both paths (no model time); hand-written = drop the HNSW index, multi-row INSERTs of 1000 rows, `CREATE INDEX` with maintenance_work_mem 512MB; library = `prisma.$bulkLoad()` around `createMany` batches of 1000, which drops the index and builds it once from its own definition with the same setting. One run each, hand-written first.",
      "Prisma alone = the plain client with the caller embedding and setting `embeddingPayload` itself. The library's `createMany` rows go out as one `INSERT ... unnest` (not Prisma's `createMany`), so there library / Prisma alone is what that saves. The nested create with plain arguments is one `WITH d AS (INSERT document) INSERT annotations ... unnest` statement that returns the document row (after the store's first call has compared it with Prisma's `findUniqueOrThrow`; src/write/nested-create.ts); the hand-written path sends its two INSERTs in one batch transaction.",
      "The tiny test model embeds much faster than all-MiniLM-L6-v2, so these ratios are an upper bound: with the real model, model time grows equally on every path.",
      "The memory runs insert without the HNSW index (rebuilt afterwards): the client's memory does not depend on it, only the run time does.",
      "Every path sends vectors as `vectorToSql` prints them: float32 values in at most 9 significant digits (about 5 KB per 384-dimension vector).",
      "Prisma keeps the arguments of its last 100 debug calls whether or not DEBUG is set, among them each write's query plan and adapter-pg's statement parameters. The library's save hook empties that history once 1 MB of vectors went out since the last time; the plain client (Prisma alone) does not, so its heap after GC keeps the last ~25 batches.",
    ],
    data: { flat, documents: docs, nested: nest, indexed, embedMs, memory, bulkLoad },
  };
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, k) => items.slice(k * size, (k + 1) * size));

const line = (t: PathTimes) =>
  Object.entries(t)
    .map(([k, v]) => `${k} ${fmt(v.reduce((a, b) => a + b, 0) / 1000, 1)} s`)
    .join(", ");
