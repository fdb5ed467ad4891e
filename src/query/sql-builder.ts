import type { CompiledQuery } from "../db/execute.ts";

/** Casts a bound parameter may carry. A closed list: no caller-supplied text reaches SQL here. */
export type ParamCast = "vector" | "jsonb" | "text" | "text[]" | "int" | "float8" | "numeric";

/**
 * Collects the parameters of one statement. `param` is the only way a value reaches SQL: it
 * appends the value and returns its `$n` placeholder. Identifiers go through `quoteIdent`
 * (src/db/sql.ts) with names taken from the schema.
 *
 * @example
 * ```ts
 * const p = new SqlParams();
 * const sql = `SELECT 1 WHERE "label" = ${p.param("x")}`; // ... = $1, p.values = ["x"]
 * ```
 */
export class SqlParams {
  readonly #values: unknown[] = [];

  param(value: unknown, cast?: ParamCast): string {
    this.#values.push(value);
    return cast ? `$${this.#values.length}::${cast}` : `$${this.#values.length}`;
  }

  get values(): readonly unknown[] {
    return this.#values;
  }

  /** The finished statement with the parameters collected so far. */
  finish(sql: string): CompiledQuery {
    return { sql, params: [...this.#values] };
  }
}
