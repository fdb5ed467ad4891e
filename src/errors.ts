/**
 * Every error this library throws is a {@link HybridStoreError} with a stable `code`, so callers
 * can branch on `err.code` instead of parsing messages.
 *
 * @example
 * ```ts
 * try { await prisma.annotation.similaritySearch({ query: "", take: 5 }); }
 * catch (err) { if (err instanceof HybridStoreError && err.code === "INVALID_ARGUMENT") ... }
 * ```
 */
export type HybridStoreErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_FILTER"
  | "DIMENSION_MISMATCH"
  | "EMBEDDING_FAILED"
  | "MODEL_NOT_FOUND"
  | "QUERY_FAILED"
  | "DATABASE_UNAVAILABLE"
  | "EXTENSION_MISSING"
  | "MIGRATION_FAILED"
  | "SCHEMA_MISMATCH"
  | "INVALID_SCHEMA"
  | "UNSUPPORTED_PRISMA";

/** Base class: a stable `code`, a message that says what to do, and the underlying `cause`. */
export class HybridStoreError extends Error {
  /** What kind of failure this is; stable across versions, unlike the message. */
  readonly code: HybridStoreErrorCode;

  constructor(code: HybridStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One problem found while validating input, in the shape zod uses: where it is and what is wrong. */
export interface ValidationIssue {
  /** Path inside the argument, e.g. `["where", "metadata", "path"]`. */
  readonly path: readonly (string | number)[];
  /** What is wrong there, and what was received. */
  readonly message: string;
}

/** An argument that is not valid (empty query, bad `take`, unknown option). Nothing was sent. */
export class InvalidArgumentError extends HybridStoreError {
  /** Every problem found, each with the path of the argument it is about. */
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = [], options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", message, options);
    this.issues = issues;
  }
}

/** A `where` filter that names an unknown field or an unsupported operator. Nothing was sent. */
export class InvalidFilterError extends HybridStoreError {
  /** Every problem found, each with its path inside `where`. */
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super("INVALID_FILTER", `Invalid filter: ${issues.map(formatIssue).join("; ")}`);
    this.issues = issues;
  }
}

/** A vector of the wrong length, or with NaN/Infinity in it. */
export class DimensionMismatchError extends HybridStoreError {
  /** The dimensions the column (and the embedder) have. */
  readonly expected: number;
  /** The length of the vector given. */
  readonly received: number;

  constructor(expected: number, received: number, detail?: string, options?: { cause?: unknown }) {
    super(
      "DIMENSION_MISMATCH",
      detail ?? `Expected a vector of ${expected} finite numbers, received ${received} values.`,
      options,
    );
    this.expected = expected;
    this.received = received;
  }
}

/** The embedder failed; the write or search that needed it did not happen. */
export class EmbeddingError extends HybridStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("EMBEDDING_FAILED", message, options);
  }
}

/** The embedding model could not be loaded from any of the places it was looked for. */
export class ModelNotFoundError extends HybridStoreError {
  /** The model id that was looked for. */
  readonly model: string;
  /** Where it was looked for: directories, the cache, the Hugging Face Hub. */
  readonly searched: readonly string[];

  constructor(model: string, searched: readonly string[], options?: { cause?: unknown }) {
    super(
      "MODEL_NOT_FOUND",
      `Could not load embedding model "${model}" (looked in: ${searched.join(", ")}). ` +
        "Download it once with network access (it is cached), or put a local copy " +
        "(config.json, tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx) in a " +
        "directory and pass `modelDir` or set PHS_MODEL_DIR.",
      options,
    );
    this.model = model;
    this.searched = searched;
  }
}

/**
 * The database rejected a query this library built. The message carries the server's own message
 * and SQLSTATE (`Query failed: permission denied for table Document (SQLSTATE 42501)`); the
 * error carries the SQL and shortened parameters.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof QueryError && err.sqlState === "57014") retryLater(); } // statement timeout
 * ```
 */
export class QueryError extends HybridStoreError {
  /** The statement, with `$1`, `$2`, ... placeholders. */
  readonly sql: string;
  /** Its parameters; strings over 200 characters (texts, vectors) are shortened. */
  readonly parameters: readonly unknown[];
  /** PostgreSQL's five-character SQLSTATE (`42501`, `57014`, `53200`...), when the server sent one. */
  readonly sqlState: string | undefined;

  constructor(
    message: string,
    sql: string,
    parameters: readonly unknown[],
    options?: { cause?: unknown; sqlState?: string | undefined },
  ) {
    super("QUERY_FAILED", message, options);
    this.sql = sql;
    this.parameters = parameters.map(shorten);
    this.sqlState = options?.sqlState;
  }
}

/** The database cannot be reached. */
export class DatabaseUnavailableError extends HybridStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DATABASE_UNAVAILABLE", message, options);
  }
}

/** The server has no pgvector, or the role may not create the extension. */
export class ExtensionMissingError extends HybridStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("EXTENSION_MISSING", message, options);
  }
}

/** The Prisma client's models lack a field this library needs (see prisma/schema.prisma). */
export class SchemaMismatchError extends HybridStoreError {
  constructor(message: string) {
    super("SCHEMA_MISMATCH", message);
  }
}

/**
 * `@embed` markings in a Prisma schema that cannot be followed (unknown or non-String source
 * field, dimensions that differ from the embedder's, a missing companion field). Nothing was
 * written. Each issue's path is `[model, field]`.
 */
export class InvalidSchemaError extends HybridStoreError {
  /** Every problem found, one message each. */
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super("INVALID_SCHEMA", `Invalid @embed marking: ${issues.map(formatMarkingIssue).join("; ")}`);
    this.issues = issues;
  }
}

/** `Product.embedding: @embed(from: x): model Product has no field "x"`. */
export function formatMarkingIssue(issue: ValidationIssue): string {
  return issue.path.length ? `${issue.path.join(".")} ${issue.message}` : issue.message;
}

/**
 * The Prisma client lacks a private part this library has to read (Prisma offers no public API
 * for it; src/compat lists them). Tested with Prisma 6.19 and 7: another version changed it.
 */
export class UnsupportedPrismaError extends HybridStoreError {
  /** The private member that was missing or had another shape, e.g. `_runtimeDataModel`. */
  readonly internal: string;

  constructor(internal: string, message: string) {
    super("UNSUPPORTED_PRISMA", message);
    this.internal = internal;
  }
}

export function formatIssue(issue: ValidationIssue): string {
  return issue.path.length ? `${issue.message} at ${issue.path.join(".")}` : issue.message;
}

function shorten(value: unknown): unknown {
  if (typeof value === "string" && value.length > 200) return `${value.slice(0, 200)}… (${value.length} chars)`;
  return value;
}
