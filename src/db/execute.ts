import {
  DatabaseUnavailableError,
  ExtensionMissingError,
  HybridStoreError,
  QueryError,
  SchemaMismatchError,
} from "../errors.ts";
import { connectionFailure } from "./connect.ts";

/** The raw-SQL surface of any Prisma client (6 or 7, base, extended or transaction client). */
export interface RawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** A compiled statement: SQL text with `$n` placeholders, and their values in order. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
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
  const text = describe(cause);
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
  return new QueryError(`Query failed: ${firstLine(text)}`, query?.sql ?? "", query?.params ?? [], { cause });
}

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
