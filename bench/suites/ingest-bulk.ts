/**
 * ingest, bulk-load case (issue #22): N annotations into an empty store, timed to the end of the
 * HNSW build, both ways on the same table with the same precomputed vectors:
 * - hand-written: drop the HNSW index, multi-row INSERTs of 1000 rows (vector text through the
 *   trigger), one CREATE INDEX with maintenance_work_mem 512MB (bench/load.ts);
 * - library: `$bulkLoad` around `createMany` batches of 1000, which drops the index and builds
 *   it once the same way.
 * Then `createMany` with the index kept, on a slice, for the per-row cost a build saves.
 */
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { basePrisma, storePrisma } from "../clients.ts";
import { createSpace, type Dataset, documentCount, generateDataset, rowOf, vectorOf } from "../data.ts";
import { CHUNK, dropIndexes, insertDocuments, rebuildIndexes, vectorText, withPg } from "../load.ts";
import { fmt } from "../measure.ts";
import { loadNow } from "../report.ts";
import type { SuiteContext } from "../suite.ts";

export interface BulkLoadRun {
  readonly rows: number;
  readonly handWritten: { readonly insertSeconds: number; readonly buildSeconds: number };
  readonly library: { readonly seconds: number };
  readonly kept: { readonly rows: number; readonly seconds: number };
  readonly load: readonly [number, number];
}

export async function bulkLoadRun(
  ctx: SuiteContext,
  embedder: Parameters<typeof storePrisma>[1],
): Promise<BulkLoadRun> {
  const { target, log } = ctx;
  const rows = ctx.quick ? 10_000 : 100_000;
  const data = generateDataset(createSpace(), rows);
  const base = basePrisma(target.url);
  const store = storePrisma(base, embedder);
  const reset = () =>
    withPg(target.url, async (c) => {
      await c.query(`TRUNCATE "Annotation", "Document"`);
      await insertDocuments(c, documentCount(rows));
    });
  const loadAtStart = loadNow();
  try {
    await reset();
    log(`  bulk load: ${rows} annotations, hand-written INSERTs + one CREATE INDEX`);
    const handWritten = await withPg(target.url, async (c) => {
      const t0 = performance.now();
      const defs = await dropIndexes(c, "Annotation", ["hnsw"]);
      for (let start = 0; start < rows; start += CHUNK)
        await insertChunk(c, data, start, Math.min(rows, start + CHUNK));
      const t1 = performance.now();
      await rebuildIndexes(c, defs, log);
      return { insertSeconds: (t1 - t0) / 1000, buildSeconds: (performance.now() - t1) / 1000 };
    });
    log(`  hand-written: ${fmt(handWritten.insertSeconds)} s INSERT + ${fmt(handWritten.buildSeconds)} s build`);

    await reset();
    log(`  bulk load: ${rows} annotations, library $bulkLoad + createMany batches of ${CHUNK}`);
    const t = performance.now();
    await store.$bulkLoad(async () => {
      for (let start = 0; start < rows; start += CHUNK) {
        const data_ = Array.from({ length: Math.min(CHUNK, rows - start) }, (_, k) => ({
          ...rowOf(data, start + k),
          ...withEmbedding(vectorOf(data.vectors, start + k)),
        }));
        await store.annotation.createMany({ data: data_ });
      }
    });
    const library = { seconds: (performance.now() - t) / 1000 };
    log(`  library: ${fmt(library.seconds)} s`);

    // The same rows again with the index kept: what each row costs when the graph grows row by row.
    const keptRows = Math.min(rows, ctx.quick ? 2000 : 10_000);
    const kept = base.$extends(hybridStore({ embedder, bulkLoad: false }));
    await reset();
    const t2 = performance.now();
    for (let start = 0; start < keptRows; start += CHUNK) {
      await kept.annotation.createMany({
        data: Array.from({ length: Math.min(CHUNK, keptRows - start) }, (_, k) => ({
          ...rowOf(data, start + k),
          ...withEmbedding(vectorOf(data.vectors, start + k)),
        })),
      });
    }
    const keptRun = { rows: keptRows, seconds: (performance.now() - t2) / 1000 };
    log(`  index kept: ${keptRows} rows in ${fmt(keptRun.seconds)} s`);
    await withPg(target.url, (c) => c.query(`TRUNCATE "Annotation", "Document"`));
    return { rows, handWritten, library, kept: keptRun, load: [loadAtStart, loadNow()] };
  } finally {
    await base.$disconnect();
  }
}

async function insertChunk(c: Parameters<Parameters<typeof withPg>[1]>[0], data: Dataset, start: number, end: number) {
  const params: unknown[] = [];
  const tuples: string[] = [];
  const at = new Date().toISOString();
  for (let i = start; i < end; i++) {
    const row = rowOf(data, i);
    const b = params.length;
    tuples.push(
      `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7}::jsonb,$${b + 8},$${b + 9},$${b + 10})`,
    );
    params.push(row.id, row.documentId, row.rawText, row.label, row.page, row.position, JSON.stringify(row.metadata));
    params.push(vectorText(vectorOf(data.vectors, i)), "bench/precomputed", at);
  }
  await c.query(
    `INSERT INTO "Annotation" (id, "documentId", "rawText", label, page, position, metadata, "embeddingPayload", "embeddingModel", "updatedAt") VALUES ${tuples.join(",")}`,
    params,
  );
}

/** The report's table rows for a run. */
export function bulkLoadRows(run: BulkLoadRun): string[][] {
  const hand = run.handWritten.insertSeconds + run.handWritten.buildSeconds;
  const ratio = hand / run.library.seconds;
  return [
    [
      `${run.rows} annotations into an empty store, to the end of the HNSW build`,
      `${fmt(run.rows / run.library.seconds, 0)} rows/s (${fmt(run.library.seconds)} s)`,
      `${fmt(run.rows / hand, 0)} rows/s (${fmt(run.handWritten.insertSeconds)} s INSERT + ${fmt(run.handWritten.buildSeconds)} s build)`,
      `${fmt(ratio, 2)}x`,
      ratio >= 0.8 ? "met" : "missed",
    ],
    [
      `${run.kept.rows} annotations with the HNSW index kept (createMany, bulkLoad: false)`,
      `${fmt(run.kept.rows / run.kept.seconds, 0)} rows/s`,
      "",
      "",
      "",
    ],
  ];
}
