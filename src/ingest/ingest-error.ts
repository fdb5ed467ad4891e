import { toHybridStoreError } from "../db/execute.ts";
import { HybridStoreError } from "../errors.ts";

/**
 * Ingesting one file failed. Files before it are stored, this one is not (its transaction
 * rolled back), files after it were not tried: run the same ingest again to resume. `code` is
 * the code of the underlying error (`DATABASE_UNAVAILABLE`, `MODEL_NOT_FOUND`, ...).
 *
 * @example
 * ```ts
 * try { await ingestFiles(prisma, ["docs"]); }
 * catch (err) { if (err instanceof IngestFileError) console.error(`stopped at ${err.file}`); }
 * ```
 */
export class IngestFileError extends HybridStoreError {
  /** The file's source, as stored in `Document.source`. */
  readonly file: string;

  constructor(file: string, cause: unknown) {
    const error = toHybridStoreError(cause);
    super(error.code, `${file}: ${error.message}`, { cause: error });
    this.file = file;
  }
}
