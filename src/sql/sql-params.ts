import { InvalidFilterError } from "../errors.ts";
import type { CompiledQuery } from "./compiled-query.ts";

/** PostgreSQL's wire protocol counts a statement's parameters in 16 bits. */
export const MAX_PARAMS = 65_535;

/** Casts a bound parameter may carry. A closed list: no caller-supplied text reaches SQL here. */
export type ParamCast = "vector" | "jsonb" | "text" | "text[]" | "int" | "float8" | "numeric" | "regclass";

/**
 * A column's type as the catalog prints it (`format_type`, which quotes what needs quoting):
 * `timestamp(3) without time zone`, `"My Enum"`. Made only by {@link catalogType}, from a
 * catalog read, so a cast is either a {@link ParamCast} or the database's own text.
 */
export type CatalogType = string & { readonly __catalogType: unique symbol };

/** Marks text read from the catalog's `format_type()` as a type a parameter may be cast to. */
export function catalogType(formatted: string): CatalogType {
  return formatted as CatalogType;
}

/** What a bound parameter may be cast to. */
export type SqlType = ParamCast | CatalogType;

/**
 * Collects the parameters of one statement. `param` is the only way a value reaches SQL: it
 * appends the value and returns its `$n` placeholder. Identifiers go through `quoteIdent`
 * (identifiers.ts) with names taken from the schema.
 *
 * @example
 * ```ts
 * const p = new SqlParams();
 * const sql = `SELECT 1 WHERE "label" = ${p.param("x")}`; // ... = $1, p.values = ["x"]
 * ```
 */
export class SqlParams {
  readonly #values: unknown[] = [];

  /**
   * @throws InvalidFilterError past {@link MAX_PARAMS}: only a filter's lists can grow that long
   * (statements with a parameter per value, as a multi-row INSERT, check {@link remaining} first).
   */
  param(value: unknown, cast?: SqlType): string {
    if (this.#values.length >= MAX_PARAMS) throw tooManyParams();
    this.#values.push(value);
    return cast ? `$${this.#values.length}::${cast}` : `$${this.#values.length}`;
  }

  /**
   * Appends values whose placeholders a statement already holds: a part compiled before at the
   * same place, which numbered them as these (see compile-filter.ts).
   *
   * @throws InvalidFilterError past {@link MAX_PARAMS}, as {@link param}.
   */
  append(values: readonly unknown[]): void {
    if (this.#values.length + values.length > MAX_PARAMS) throw tooManyParams();
    for (const value of values) this.#values.push(value);
  }

  /** How many more parameters this statement can bind. */
  get remaining(): number {
    return MAX_PARAMS - this.#values.length;
  }

  get values(): readonly unknown[] {
    return this.#values;
  }

  /** The finished statement with the parameters collected so far. */
  finish(sql: string): CompiledQuery {
    return { sql, params: [...this.#values] };
  }
}

function tooManyParams(): InvalidFilterError {
  return new InvalidFilterError([
    {
      path: [],
      message: `binds more than ${MAX_PARAMS} values, PostgreSQL's limit for one statement (shorten its in/notIn lists or ORs)`,
    },
  ]);
}
