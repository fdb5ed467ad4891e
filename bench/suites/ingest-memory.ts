/**
 * Child process of the ingest suite: streams `rows` annotations through the extended client's
 * createMany in chunks and reports its own peak memory as one JSON line. A separate process, so
 * the numbers are the client's alone (with PGlite the database lives in the parent process).
 *
 *   node --expose-gc --import tsx bench/suites/ingest-memory.ts <url> <rows> <chunk> [library|prisma] [snapshot]
 *
 * `prisma` mode writes the same rows through the plain client, the caller embedding and setting
 * `embeddingPayload` itself: what memory Prisma takes without the hook. `embed` only embeds.
 * With a `snapshot` path, a heap snapshot is written there after the final GC; see what Prisma's
 * debug histories keep in it with bench/suites/ingest-heap.ts.
 */

import { writeHeapSnapshot } from "node:v8";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";
import { vectorToSql } from "../../src/sql/vector-text.ts";
import { basePrisma, storePrisma } from "../clients.ts";
import { createSpace, sentences } from "../data.ts";
import { MemorySampler, seconds } from "../measure.ts";
import { tinyModelDir } from "../tiny-model.ts";

const [url, rowsArg, chunkArg, mode = "library", snapshot] = process.argv.slice(2);
const rows = Number(rowsArg);
const chunk = Number(chunkArg);
const base = basePrisma(url!);
const embedder = new MiniLmEmbedder({ modelDir: tinyModelDir });
await embedder.ready();
const prisma = storePrisma(base, embedder);
const texts = sentences(createSpace());
const perDocument = 50;
await base.document.createMany({
  data: Array.from({ length: Math.ceil(rows / perDocument) }, (_, d) => ({
    id: `m${d}`,
    content: `Memory document ${d}`,
  })),
});

const gc = () => (globalThis as { gc?: () => void }).gc?.();
gc();
const heapAtStartMiB = process.memoryUsage().heapUsed / 2 ** 20;
const sampler = new MemorySampler(20);
const rssByChunkMiB: number[] = [];
const started = performance.now();
for (let start = 0; start < rows; start += chunk) {
  const data = Array.from({ length: Math.min(chunk, rows - start) }, (_, k) => {
    const i = start + k;
    return { id: `m${i}`, documentId: `m${Math.floor(i / perDocument)}`, rawText: texts.next().value!, page: i % 1000 };
  });
  if (mode === "embed") {
    await embedder.embed(data.map((r) => r.rawText));
  } else if (mode === "prisma") {
    const vectors = await embedder.embed(data.map((r) => r.rawText));
    const withVectors = data.map((r, k) => ({
      ...r,
      embeddingPayload: vectorToSql(vectors[k]!),
      embeddingModel: embedder.modelId,
    }));
    await base.annotation.createMany({ data: withVectors });
  } else {
    await prisma.annotation.createMany({ data });
  }
  rssByChunkMiB.push(Math.round(process.memoryUsage.rss() / 2 ** 20));
}
const elapsed = seconds(started);
const memory = sampler.stop();
gc();
const heapAfterGcMiB = process.memoryUsage().heapUsed / 2 ** 20;
if (snapshot) writeHeapSnapshot(snapshot);
await base.$disconnect();
console.log(
  JSON.stringify({ mode, rows, chunk, seconds: elapsed, ...memory, heapAtStartMiB, heapAfterGcMiB, rssByChunkMiB }),
);
