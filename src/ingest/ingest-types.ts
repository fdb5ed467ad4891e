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
}

/** How far an ingest is. */
export interface IngestProgress {
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
  readonly files: { readonly new: number; readonly changed: number; readonly unchanged: number };
  /** Chunks written (each with its vector). */
  readonly chunks: number;
  readonly seconds: number;
  /** True if `signal` stopped it before every file was handled. */
  readonly aborted: boolean;
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
  metadata: { ingest: { maxChars: number; overlap: number } };
}

/**
 * The part of a Prisma client extended with `hybridStore()` that an ingest uses. Any client
 * generated from a schema with the Document and Annotation models fits.
 */
export interface IngestClient {
  document: {
    findMany(args: {
      where: { source: { in: string[] } };
      select: { id: true; source: true; contentHash: true; label: true; metadata: true };
    }): PromiseLike<StoredDocument[]>;
    create(args: {
      data: DocumentRow & { id: string; annotations: { createMany: { data: ChunkRow[] } } };
      select: { id: true };
    }): PromiseLike<unknown>;
    update(args: {
      where: { id: string };
      data: DocumentRow & { annotations: { createMany: { data: ChunkRow[] } } };
      select: { id: true };
    }): PromiseLike<unknown>;
  };
  annotation: {
    createMany(args: { data: (ChunkRow & { documentId: string })[] }): PromiseLike<unknown>;
    deleteMany(args: { where: { documentId: string } }): PromiseLike<unknown>;
  };
  $transaction(operations: PromiseLike<unknown>[]): PromiseLike<unknown>;
}
