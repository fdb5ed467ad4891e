import { quoteIdent, quoteTable } from "./identifiers.ts";
import type { ParamCast, SqlParams, SqlType } from "./sql-params.ts";

/** One column an INSERT writes. */
export interface InsertColumn {
  /** The column's name, from the schema. */
  readonly name: string;
  /** What its values are read as. Without one (VALUES rows only), the column's own type decides. */
  readonly type?: SqlType | undefined;
}

/** `column = EXCLUDED.from`, optionally cast: the new row's value, as the conflicting row's. */
export interface ConflictSet {
  readonly column: string;
  readonly from: string;
  readonly cast?: ParamCast | undefined;
}

/** `ON CONFLICT [(target)] DO NOTHING` or `ON CONFLICT (target) DO UPDATE SET ...`. */
export type OnConflict =
  | { readonly action: "nothing"; readonly target?: readonly string[] | undefined }
  | { readonly action: "update"; readonly target: readonly string[]; readonly set: readonly ConflictSet[] };

/** A multi-row INSERT; every name in it comes from the schema, every value is bound. */
export interface Insert {
  readonly table: { readonly table: string; readonly schema?: string | undefined };
  readonly columns: readonly InsertColumn[];
  /** One array per column, one element per row. */
  readonly values: readonly (readonly unknown[])[];
  /**
   * `unnest`: `INSERT ... SELECT * FROM unnest($1::t[], ...)`, one array parameter per column
   * whatever the number of rows: one plan, and PostgreSQL parses each array in one go.
   *
   * `values`: `INSERT ... VALUES ($1, ...), (...)`, one parameter per value, for a table Citus
   * distributes and for rows whose columns decide their own types. Citus runs an INSERT ... SELECT
   * on the coordinator, collects the rows there and then sends them to the shards (171 rows/s
   * measured), and with ON CONFLICT DO NOTHING it reports the rows it sent instead of those it
   * wrote; a multi-row VALUES INSERT it routes itself: each shard's rows in one statement, in
   * parallel. When the values would pass the statement's parameter limit, the rows go as
   * `unnest` instead (slower on Citus, still correct), which needs every column's type.
   */
  readonly rows: "unnest" | "values";
  readonly onConflict?: OnConflict | undefined;
  readonly returning?: readonly string[] | undefined;
}

/**
 * The text of one INSERT, its values appended to `params`. The one INSERT builder: the fast
 * `createMany`, the nested create and the LlamaIndex store's upserts all write through it.
 *
 * @example
 * ```ts
 * const params = new SqlParams();
 * insertSql(params, {
 *   table: { table: "Tag" },
 *   columns: [{ name: "id", type: catalogType("text") }, { name: "n", type: catalogType("integer") }],
 *   values: [["a", "b"], ["1", null]],
 *   rows: "unnest",
 *   onConflict: { action: "nothing" },
 * });
 * // INSERT INTO "Tag" ("id", "n") SELECT * FROM unnest($1::text[], $2::integer[]) ON CONFLICT DO NOTHING
 * ```
 */
export function insertSql(params: SqlParams, insert: Insert): string {
  const { columns, values } = insert;
  const rowCount = values[0]?.length ?? 0;
  const names = columns.map((c) => quoteIdent(c.name)).join(", ");
  const asValues = insert.rows === "values" && rowCount > 0 && rowCount * columns.length <= params.remaining;
  const source = asValues ? valuesRows(params, insert, rowCount) : unnestRows(params, insert);
  return `INSERT INTO ${quoteTable(insert.table)} (${names}) ${source}${conflict(insert.onConflict)}${returning(insert.returning)}`;
}

function valuesRows(params: SqlParams, { columns, values }: Insert, rowCount: number): string {
  const tuples = new Array<string>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const cells = new Array<string>(columns.length);
    for (let c = 0; c < columns.length; c++) cells[c] = params.param(values[c]?.[r] ?? null, columns[c]?.type);
    tuples[r] = `(${cells.join(", ")})`;
  }
  return `VALUES ${tuples.join(", ")}`;
}

function unnestRows(params: SqlParams, { columns, values }: Insert): string {
  const arrays = columns.map((column, c) => {
    // Only a builder's bug gets here: the callers that may send unnest give every column a type.
    if (column.type === undefined) throw new Error(`column ${column.name} needs a type to be sent as an array`);
    return params.param(values[c] ?? [], `${column.type}[]` as SqlType);
  });
  return `SELECT * FROM unnest(${arrays.join(", ")})`;
}

function conflict(onConflict: OnConflict | undefined): string {
  if (!onConflict) return "";
  const target = onConflict.target ? ` (${onConflict.target.map(quoteIdent).join(", ")})` : "";
  if (onConflict.action === "nothing") return ` ON CONFLICT${target} DO NOTHING`;
  const set = onConflict.set.map(
    (s) => `${quoteIdent(s.column)} = EXCLUDED.${quoteIdent(s.from)}${s.cast ? `::${s.cast}` : ""}`,
  );
  return ` ON CONFLICT${target} DO UPDATE SET ${set.join(", ")}`;
}

function returning(columns: readonly string[] | undefined): string {
  return columns && columns.length > 0 ? ` RETURNING ${columns.map(quoteIdent).join(", ")}` : "";
}
