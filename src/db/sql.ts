import { InvalidArgumentError } from "../errors.ts";

/**
 * Quotes an identifier for PostgreSQL. Only names taken from the Prisma schema reach this:
 * user input never names a column.
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A model's table, schema-qualified when the client's adapter names a schema: `"tenant"."Document"`. */
export function quoteTable(model: { readonly table: string; readonly schema?: string | undefined }): string {
  return model.schema === undefined
    ? quoteIdent(model.table)
    : `${quoteIdent(model.schema)}.${quoteIdent(model.table)}`;
}

/** `"table"."column"` */
export function qualified(table: string, column: string): string {
  return `${quoteIdent(table)}.${quoteIdent(column)}`;
}

/**
 * pgvector's text form, `[1,2,3]`; bound as a parameter and cast with `::vector`.
 *
 * pgvector stores float4, so each value is rounded to float32 and printed with at most 9
 * significant digits, which is enough to read back exactly that float32 (FLT_DECIMAL_DIG): the
 * stored vector is the same as with JavaScript's full float64 digits (`String(number)`), in
 * about 35% fewer characters for the client to build, send and keep and the server to parse
 * (about 5 KB instead of 8 KB for 384 dimensions), and about 3x faster to print.
 *
 * @example
 * ```ts
 * vectorToSql([0.5, -1 / 3, 2.5e-7]); // "[0.5,-0.333333343,2.49999999e-7]"
 * ```
 */
export function vectorToSql(vector: readonly number[]): string {
  // One join, not `+=`: appending makes a rope of ~800 pieces per vector, which holds about 7x
  // the flat string's memory until something flattens it.
  const parts = new Array<string>(vector.length);
  for (let i = 0; i < vector.length; i++) parts[i] = float4ToSql(vector[i] as number);
  return `[${parts.join(",")}]`;
}

/** One value as float32, at most 9 significant digits, trailing zeros dropped. */
function float4ToSql(value: number): string {
  const text = Math.fround(value).toPrecision(9);
  const e = text.indexOf("e");
  if (e === -1) return trimFraction(text);
  return trimFraction(text.slice(0, e)) + text.slice(e);
}

/** "0.250000000" -> "0.25", "3.00000000" -> "3"; "NaN", "Infinity" and integers stay. */
function trimFraction(text: string): string {
  if (!text.includes(".")) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (text.charCodeAt(end - 1) === 46 /* . */) end--;
  return text.slice(0, end);
}

// PostgreSQL's earliest timestamp is in 4713 BC; JavaScript's earliest Date is in 271822 BC.
const EARLIEST_TIMESTAMP = Date.UTC(-4712, 0, 1);

/**
 * A Date as timestamp text PostgreSQL reads, bound as a parameter. `toISOString()` writes years
 * after 9999 as `+010000-...` and years before 1 as `-000005-...`, which PostgreSQL refuses
 * ("time zone displacement out of range"); this writes `10000-...` and `0006-... BC`.
 *
 * @throws InvalidArgumentError for an invalid Date or one before PostgreSQL's range (4713 BC),
 *   so such a filter fails before anything is sent.
 * @example
 * ```ts
 * dateToSql(new Date("+010000-01-01T00:00:00Z")); // "10000-01-01T00:00:00.000Z"
 * ```
 */
export function dateToSql(date: Date, where = "date"): string {
  const time = date.getTime();
  if (Number.isNaN(time) || time < EARLIEST_TIMESTAMP) {
    const shown = Number.isNaN(time) ? "an invalid Date" : date.toISOString();
    throw new InvalidArgumentError(`${where} is ${shown}; PostgreSQL timestamps go from 4713 BC to 294276 AD.`, [
      { path: where.split("."), message: "outside PostgreSQL's timestamp range" },
    ]);
  }
  const iso = date.toISOString();
  const year = date.getUTCFullYear();
  const rest = iso.slice(iso.indexOf("-", 1)); // "-MM-DDTHH:mm:ss.sssZ"
  return year >= 1 ? `${String(year).padStart(4, "0")}${rest}` : `${String(1 - year).padStart(4, "0")}${rest} BC`;
}
