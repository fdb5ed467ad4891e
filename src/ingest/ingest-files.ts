import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { InvalidArgumentError } from "../errors.ts";
import { chunkSpans, resolveChunkOptions } from "./chunk-text.ts";
import { collectFiles } from "./collect-files.ts";
import { IngestFileError } from "./ingest-error.ts";
import type {
  ChunkRow,
  DocumentRow,
  IngestClient,
  IngestOptions,
  IngestProgress,
  IngestResult,
  StoredDocument,
} from "./ingest-types.ts";
import { ProgressClock } from "./progress-clock.ts";
import { pruneDocuments } from "./prune.ts";
import { readTextFile } from "./read-text-file.ts";

interface PlannedFile {
  readonly path: string;
  readonly source: string;
  readonly existing: StoredDocument | undefined;
  readonly chunks: number;
}

/**
 * Stores .txt and .md files (or directories of them) as Documents, split into Annotation chunks
 * (`position` = index in the file, `page` null, `metadata` = character offsets), embedded by the
 * extended client's save hook. Re-running skips files whose text, label and chunk settings are
 * unchanged; a changed file gets its new text and chunks, replacing the old chunks. A file's
 * document and chunks are written in one transaction (small files share one; embedding happens
 * before it opens), so an interrupted run leaves every file either fully stored or untouched,
 * and the next run resumes. Runs over the same files at the same time (two processes) are
 * safe: each file ends with one document and one set of chunks. With `prune: true`, documents
 * of files deleted from the directories in `paths` are removed afterwards (see
 * {@link pruneDocuments}).
 *
 * @throws InvalidArgumentError for missing paths, non-text files or bad options (before any
 *   write); IngestFileError naming the file for anything that fails while writing.
 * @example
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(hybridStore());
 * const result = await ingestFiles(prisma, ["docs"], { label: "handbook", maxChars: 800, overlap: 100 });
 * console.log(result.files, result.chunks);
 * ```
 */
export async function ingestFiles(
  prisma: IngestClient,
  paths: readonly string[],
  options: IngestOptions = {},
): Promise<IngestResult> {
  const chunking = resolveChunkOptions(options);
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new InvalidArgumentError("batchSize must be a whole number from 1 to 10000", [
      { path: ["batchSize"], message: `expected an integer in [1, 10000], received ${String(batchSize)}` },
    ]);
  }
  const root = resolve(options.root ?? process.cwd());
  const labelOf = (path: string) => (typeof options.label === "function" ? options.label(path) : options.label) ?? null;
  const settings = { maxChars: chunking.maxChars, overlap: chunking.overlap, root };

  const began = performance.now();
  const clock = new ProgressClock();
  const files = await collectFiles(paths);
  const { plan, moved } = await planFiles(prisma, files, root, labelOf, settings);
  const unchanged = files.length - plan.length;
  // Unchanged documents stored from another root (a moved or other checkout) now record this one.
  for (let i = 0; i < moved.length; i += 500) {
    const metadata = { ingest: settings };
    await prisma.$transaction(
      moved
        .slice(i, i + 500)
        .map((id) => prisma.document.update({ where: { id }, data: { metadata }, select: { id: true } })),
    );
  }
  const totalChunks = plan.reduce((sum, file) => sum + file.chunks, 0);
  const counts = { new: 0, changed: 0, unchanged };
  let chunksDone = 0;
  const report = (file?: string) => {
    const done = counts.new + counts.changed + counts.unchanged;
    const progress: IngestProgress = {
      files: { done, total: files.length },
      chunks: { done: chunksDone, total: totalChunks },
      ...clock.estimate(chunksDone, totalChunks),
      ...(file === undefined ? {} : { file }),
    };
    options.onProgress?.(progress);
  };
  report();

  clock.start();
  let aborted = false;
  const done = (files: readonly PlannedFile[], chunks: number) => {
    chunksDone += chunks;
    for (const file of files) counts[file.existing ? "changed" : "new"]++;
    report(files.at(-1)?.source);
  };
  const writeAll = async () => {
    for (const group of groups(plan, batchSize)) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      const write = (files: readonly PlannedFile[]) => writeFiles(prisma, files, root, labelOf, settings, batchSize);
      try {
        done(group, await write(group));
      } catch (cause) {
        if (group.length === 1) throw new IngestFileError(group[0]!.source, cause);
        // Find the file that fails, storing the ones before it: one transaction per file.
        for (const file of group) {
          try {
            done([file], await write([file]));
          } catch (fileCause) {
            throw new IngestFileError(file.source, fileCause);
          }
        }
      }
    }
  };
  // Many chunks relative to the table: the Annotation graph is built once at the end (the store's thresholds).
  await (prisma.$bulkLoad ? prisma.$bulkLoad(writeAll, { models: ["Annotation"], rows: totalChunks }) : writeAll());
  const pruned = options.prune && !aborted ? await pruneDocuments(prisma, paths) : [];
  return { files: counts, chunks: chunksDone, seconds: (performance.now() - began) / 1000, aborted, pruned };
}

/**
 * Consecutive files written in one transaction: a file with many chunks alone, small files
 * together up to `batchSize` chunks, so a corpus of small files does not pay one transaction
 * per file. Each file is still all there or absent.
 */
function* groups(plan: readonly PlannedFile[], batchSize: number): Generator<PlannedFile[]> {
  let group: PlannedFile[] = [];
  let chunks = 0;
  for (const file of plan) {
    if (group.length > 0 && (chunks + file.chunks > batchSize || group.length >= 100)) {
      yield group;
      group = [];
      chunks = 0;
    }
    group.push(file);
    chunks += file.chunks;
  }
  if (group.length > 0) yield group;
}

/**
 * Reads every file once to find the new and changed ones and count their chunks, and the
 * unchanged documents whose recorded root is not this run's (`moved`).
 */
async function planFiles(
  prisma: IngestClient,
  files: readonly string[],
  root: string,
  labelOf: (path: string) => string | null,
  settings: DocumentRow["metadata"]["ingest"],
): Promise<{ plan: PlannedFile[]; moved: string[] }> {
  const plan: PlannedFile[] = [];
  const moved: string[] = [];
  // Sources are looked up a few hundred at a time: one query per file would dominate re-runs.
  for (let i = 0; i < files.length; i += 500) {
    const texts = await Promise.all(files.slice(i, i + 500).map((path) => readTextFile(path, root)));
    const stored = await prisma.document.findMany({
      where: { source: { in: texts.map((t) => t.source) } },
      select: { id: true, source: true, contentHash: true, label: true, metadata: true },
    });
    const bySource = new Map(stored.map((doc) => [doc.source, doc]));
    for (const text of texts) {
      const existing = bySource.get(text.source);
      const same =
        existing !== undefined &&
        existing.contentHash === text.hash &&
        existing.label === labelOf(text.path) &&
        sameSettings(existing.metadata, settings);
      if (same) {
        if (storedRoot(existing.metadata) !== settings.root) moved.push(existing.id);
        continue;
      }
      const chunks = chunkSpans(text.content, settings).length;
      plan.push({ path: text.path, source: text.source, existing, chunks });
    }
  }
  return { plan, moved };
}

/**
 * Files in one transaction: `$transaction([...])` runs every operation's query hook (where the
 * embedding happens) before it opens the transaction, so no transaction waits on the model.
 * Returns the number of chunks written.
 */
async function writeFiles(
  prisma: IngestClient,
  files: readonly PlannedFile[],
  root: string,
  labelOf: (path: string) => string | null,
  settings: DocumentRow["metadata"]["ingest"],
  batchSize: number,
): Promise<number> {
  const operations: PromiseLike<unknown>[] = [];
  let chunks = 0;
  for (const file of files) {
    const built = await fileOperations(prisma, file, root, labelOf(file.path), settings, batchSize);
    operations.push(...built.operations);
    chunks += built.chunks;
  }
  await prisma.$transaction(operations);
  return chunks;
}

/**
 * A file's writes, keyed by its source: an upsert of its document, then its chunks replaced.
 *
 * Prisma runs this upsert as one `INSERT ... ON CONFLICT (source) DO UPDATE` (a "database
 * upsert": one unique field in `where`, no nested writes), which takes the document's
 * row lock whether the row is new or not, so a concurrent ingest of the same file waits for
 * this transaction, and its own statements, each reading what is committed by then (READ
 * COMMITTED), delete the chunks this one wrote before writing theirs: every file ends with
 * one set of chunks, and two runs creating the same new file cannot both insert it (the
 * unique `source` makes the second an update).
 */
async function fileOperations(
  prisma: IngestClient,
  planned: PlannedFile,
  root: string,
  label: string | null,
  settings: DocumentRow["metadata"]["ingest"],
  batchSize: number,
): Promise<{ operations: PromiseLike<unknown>[]; chunks: number }> {
  // Read again: the text written is the text hashed and chunked now, even if the file changed.
  const text = await readTextFile(planned.path, root);
  const rows: ChunkRow[] = chunkSpans(text.content, settings).map((chunk, position) => ({
    rawText: chunk.text,
    position,
    page: null,
    label,
    metadata: { start: chunk.start, end: chunk.end },
  }));
  const document: DocumentRow = {
    source: text.source,
    title: text.title,
    content: text.content,
    label,
    metadata: { ingest: settings },
  };
  const where = { source: text.source };
  const operations: PromiseLike<unknown>[] = [
    prisma.document.upsert({
      where,
      create: { id: planned.existing?.id ?? randomUUID(), ...document },
      update: document,
      select: { id: true },
    }),
    prisma.annotation.deleteMany({ where: { document: where } }),
  ];
  for (const batch of batches(rows, batchSize)) {
    operations.push(
      prisma.document.update({ where, data: { annotations: { createMany: { data: batch } } }, select: { id: true } }),
    );
  }
  return { operations, chunks: rows.length };
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function storedRoot(metadata: unknown): unknown {
  return (metadata as { ingest?: { root?: unknown } } | null)?.ingest?.root;
}

function sameSettings(metadata: unknown, settings: DocumentRow["metadata"]["ingest"]): boolean {
  const stored = (metadata as { ingest?: { maxChars?: unknown; overlap?: unknown } } | null)?.ingest;
  return stored?.maxChars === settings.maxChars && stored?.overlap === settings.overlap;
}
