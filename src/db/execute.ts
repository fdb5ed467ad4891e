import {
  DatabaseUnavailableError,
  DimensionMismatchError,
  ExtensionMissingError,
  HybridStoreError,
  QueryError,
  SchemaMismatchError,
} from "../errors.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { connectionFailure } from "./connect.ts";
import { errorChain } from "./error-chain.ts";

/** The raw-SQL surface of any Prisma client (6 or 7, base, extended or transaction client). */
export interface RawClient {
  /** Runs a parameterized query (`$1`, `$2`, ...) and resolves to its rows. */
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  /** Runs a parameterized statement and resolves to the number of rows it changed. */
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** Runs a compiled SELECT and returns its rows; database errors become typed errors. */
export async function queryRows<T>(client: RawClient, query: CompiledQuery): Promise<T[]> {
  try {
    return await client.$queryRawUnsafe<T[]>(query.sql, ...query.params);
  } catch (cause) {
    throw toHybridStoreError(cause, query);
  }
}

/** Runs a compiled INSERT/UPDATE/DELETE and returns the affected row count. */
export async function execute(client: RawClient, query: CompiledQuery): Promise<number> {
  try {
    return await client.$executeRawUnsafe(query.sql, ...query.params);
  } catch (cause) {
    throw toHybridStoreError(cause, query);
  }
}

/**
 * Turns what the driver threw into an error that says what to do. Prisma wraps driver errors
 * differently across versions, so this reads the message and any `code` it can find.
 */
export function toHybridStoreError(cause: unknown, query?: CompiledQuery): HybridStoreError {
  if (cause instanceof HybridStoreError) return cause;
  const unavailable = connectionFailure(cause);
  if (unavailable) return unavailable;
  const server = serverError(cause);
  const text = server ? `${server.code} ${server.message} | ${describe(cause)}` : describe(cause);
  if (
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Can't reach database|DatabaseNotReachable|Connection terminated|closed the connection|P1001/i.test(
      text,
    )
  ) {
    return new DatabaseUnavailableError(
      "Cannot reach the database. Start it (`npx prisma-hybrid-store db` for the embedded one) " +
        `or check DATABASE_URL. (${firstLine(text)})`,
      { cause },
    );
  }
  if (
    /type "vector" does not exist|operator does not exist: vector|function vector|extension "vector" is not available/i.test(
      text,
    )
  ) {
    return new ExtensionMissingError(
      "The pgvector extension is not installed in this database. Install pgvector on the server and " +
        "run the migrations (`npx prisma-hybrid-store migrate`), which run CREATE EXTENSION vector.",
      { cause },
    );
  }
  if (/relation "[^"]+" does not exist|column "[^"]+" does not exist/i.test(text)) {
    return new SchemaMismatchError(
      `The database is missing a table or column this library needs (${firstLine(text)}). ` +
        "Apply the migrations: `npx prisma-hybrid-store migrate` or `prisma migrate deploy`.",
    );
  }
  // pgvector's words for a vector of another size than the column's or the other operand's.
  const dims = /expected (\d+) dimensions, not (\d+)|different vector dimensions (\d+) and (\d+)/.exec(text);
  if (dims) {
    const [expected, received] = dims[1] ? [dims[1], dims[2]] : [dims[3], dims[4]];
    return new DimensionMismatchError(
      Number(expected),
      Number(received),
      `The database stores vectors of ${expected} dimensions; received one of ${received} (${firstLine(server?.message ?? text)}). ` +
        "Use an embedder (or embedModel) with the column's dimensions.",
      { cause },
    );
  }
  const message = server ? `${firstLine(server.message)} (SQLSTATE ${server.code})` : firstLine(text);
  return new QueryError(`Query failed: ${message}`, query?.sql ?? "", query?.params ?? [], {
    cause,
    sqlState: server?.code,
  });
}

/** What the server said about a failed statement: its SQLSTATE and message. */
interface ServerError {
  readonly code: string;
  readonly message: string;
}

/**
 * The server's SQLSTATE and message, wherever the client put them: `pg`'s error (`code`,
 * `severity`), the driver adapter's (`originalCode`, `originalMessage`), or Prisma's P2010
 * wrapping it in `meta.driverAdapterError.cause`; Prisma's own message for these is only its code.
 */
export function serverError(error: unknown): ServerError | undefined {
  for (const o of errorChain(error)) {
    if (typeof o.originalCode === "string" && typeof o.originalMessage === "string") {
      return { code: o.originalCode, message: o.originalMessage };
    }
    if (
      typeof o.code === "string" &&
      SQLSTATE.test(o.code) &&
      typeof o.severity === "string" &&
      typeof o.message === "string"
    ) {
      return { code: o.code, message: o.message };
    }
  }
  return undefined;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

function describe(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e === "object") {
      const { message, code } = e as { message?: unknown; code?: unknown };
      parts.push([code, message].filter((p) => typeof p === "string").join(" "));
      e = (e as { cause?: unknown }).cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(" | ");
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim().length > 0) ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
