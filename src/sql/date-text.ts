import { InvalidArgumentError } from "../errors.ts";

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
