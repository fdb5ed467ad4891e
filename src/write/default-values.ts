import { randomUUID } from "node:crypto";
import type { ClientDefault } from "../schema/client-defaults.ts";
import type { ScalarField } from "../schema/model-meta.ts";

/** A value the library cannot write exactly as Prisma would: the write goes to Prisma. */
export const NO = Symbol("not on this path");

/** A value as the text PostgreSQL reads for its column (bound as a parameter), NULL, or {@link NO}. */
export type Element = string | null | typeof NO;

/**
 * Whether Prisma itself fills a field with this default on create (rather than leave it to the
 * column's default, or use a generator the library does not reproduce).
 */
export function prismaFills(fill: ClientDefault | undefined): boolean {
  return fill !== undefined && fill.kind !== "database" && fill.kind !== "unsupported";
}

/**
 * What Prisma puts in a field a create leaves out, read from the one source of defaults
 * (src/schema/client-defaults.ts): a new UUID, the time of the write (`now`, the same for every
 * row of the statement, as Prisma's), the literal. NULL where Prisma leaves the column to the
 * database. `columnType` (the catalog's, without modifier) is how a timestamp is written.
 */
export function defaultValue(
  fill: ClientDefault | undefined,
  field: ScalarField,
  now: Date,
  columnType: string | undefined,
): Element {
  switch (fill?.kind) {
    case "uuid":
      return randomUUID();
    case "now":
    case "updatedAt":
      return timestampText(now, columnType);
    case "value":
      // A Json field's string default is already JSON text; anything else is its own text form.
      return field.type === "Json" && typeof fill.value === "string" ? fill.value : String(fill.value);
    default:
      return null;
  }
}

/**
 * Prisma stores a Date in a `timestamp` column as its UTC wall time: the ISO text without the
 * zone, which PostgreSQL reads the same whatever the session's time zone. With the zone for
 * `timestamptz`, and for a column the statement leaves the type to (`columnType` undefined):
 * PostgreSQL ignores the zone of a `timestamp` input, so both types read the same instant. NO
 * for other types and for years outside 0000-9999.
 */
export function timestampText(date: Date, columnType: string | undefined): Element {
  if (Number.isNaN(date.getTime())) return NO;
  const iso = date.toISOString();
  if (iso.length !== 24) return NO; // years outside 0000-9999
  if (columnType === "timestamp without time zone") return iso.slice(0, -1);
  return columnType === undefined || columnType === "timestamp with time zone" ? iso : NO;
}
