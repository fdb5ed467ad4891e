import type { ChunkOptions } from "./chunk-text.ts";

/** Options of `ingestFiles`. */
export interface IngestOptions extends ChunkOptions {
  /** Label of every document and chunk, or a function of the file's absolute path. */
  readonly label?: string | ((path: string) => string | null | undefined);
  /** Chunks per `createMany` (and so per embedder call); small files share a transaction up to this many chunks. Default 64. */
  readonly batchSize?: number;
  /** Sources are stored relative to this directory (absolute outside it). Default `process.cwd()`. */
  readonly root?: string;
  /** Called once the files are scanned and after every file. */
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Stops after the file being written; what is written stays. */
  readonly signal?: AbortSignal;
  /**
   * After writing, delete the documents of files that were deleted from the directories in
   * `paths` (see `pruneDocuments`); skipped when `signal` stopped the run. Default false.
   */
  readonly prune?: boolean;
}

/** How far an ingest is. */
export interface IngestProgress {
  /** Files handled (new, changed or unchanged) of the files found. */
  readonly files: { readonly done: number; readonly total: number };
  /** Chunks of new and changed files; unchanged files add none. */
  readonly chunks: { readonly done: number; readonly total: number };
  /** Chunks written per second so far (0 before the first file). */
  readonly rate: number;
  /** Seconds left at that rate; undefined until there is a rate. */
  readonly eta: number | undefined;
  /** Source of the file just handled, if any. */
  readonly file?: string;
}

/** What an ingest did. */
export interface IngestResult {
  /** Files stored for the first time, stored again because they changed, and skipped as unchanged. */
  readonly files: { readonly new: number; readonly changed: number; readonly unchanged: number };
  /** Chunks written (each with its vector). */
  readonly chunks: number;
  /** Wall-clock time of the whole run, scanning included. */
  readonly seconds: number;
  /** True if `signal` stopped it before every file was handled. */
  readonly aborted: boolean;
  /** Sources of the documents removed by `prune` because their files are gone, sorted; empty without it. */
  readonly pruned: readonly string[];
}

/** A stored document, as far as ingesting needs to know it. */
export interface StoredDocument {
  readonly id: string;
  readonly source: string | null;
  readonly contentHash: string | null;
  readonly label: string | null;
  readonly metadata: unknown;
}

/** Annotation fields an ingest writes in a nested `createMany` (the document is implied). */
export interface ChunkRow {
  rawText: string;
  position: number;
  page: null;
  label: string | null;
  metadata: { start: number; end: number };
}

/** Document fields an ingest writes. */
export interface DocumentRow {
  source: string;
  title: string;
  content: string;
  label: string | null;
  /** `root`: the absolute directory `source` is relative to, so pruning can find the file. */
  metadata: { ingest: { maxChars: number; overlap: number; root: string } };
}

/**
 * The part of a Prisma client extended with `hybridStore()` that an ingest uses. Any client
 * generated from a schema with the Document and Annotation models fits.
 */
export interface IngestClient {
  /** The Document delegate: looks up stored files, writes them, prunes them. */
  document: {
    /** The stored documents of a batch of files, by source. */
    findMany(args: {
      where: { source: { in: string[] } };
      select: { id: true; source: true; contentHash: true; label: true; metadata: true };
    }): PromiseLike<StoredDocument[]>;
    /** A page of the documents `pruneDocuments` looks at: text-file sources, by id. */
    findMany(args: {
      where: { OR: { source: { endsWith: string; mode: "insensitive" } }[]; id?: { gt: string } };
      select: { id: true; source: true; metadata: true };
      orderBy: { id: "asc" };
      take: number;
    }): PromiseLike<Pick<StoredDocument, "id" | "source" | "metadata">[]>;
    /** Removes pruned documents (their annotations go by the cascade). */
    deleteMany(args: { where: { id: { in: string[] } } }): PromiseLike<unknown>;
    /** Stores a file's document, new or changed (the same row and id for the same source). */
    upsert(args: {
      where: { source: string };
      create: DocumentRow & { id: string };
      update: DocumentRow;
      select: { id: true };
    }): PromiseLike<unknown>;
    /** Adds a batch of a file's chunks to its document. */
    update(args: {
      where: { source: string };
      data: { annotations: { createMany: { data: ChunkRow[] } } };
      select: { id: true };
    }): PromiseLike<unknown>;
    /** Records a new root on an unchanged document (no text: nothing is embedded). */
    update(args: {
      where: { id: string };
      data: { metadata: DocumentRow["metadata"] };
      select: { id: true };
    }): PromiseLike<unknown>;
  };
  /** The Annotation delegate: writes and replaces a file's chunks. */
  annotation: {
    /** Drops the chunks a file's document has, before its new ones are written. */
    deleteMany(args: { where: { document: { source: string } } }): PromiseLike<unknown>;
  };
  /** Batch transactions: a file's document and chunks are written together. */
  $transaction(operations: PromiseLike<unknown>[]): PromiseLike<unknown>;
  /** The store's bulk load (a client extended with `hybridStore()` has it): the HNSW index built once. */
  $bulkLoad?<T>(
    load: () => Promise<T>,
    options: { models: readonly ("Document" | "Annotation")[]; rows: number },
  ): Promise<T>;
}
