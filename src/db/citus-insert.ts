import type { CompiledQuery } from "../sql/compiled-query.ts";
import type { ColumnInfo } from "./table-columns.ts";

/** PostgreSQL's limit on the parameters of one statement. */
const MAX_PARAMETERS = 65_535;

/**
 * A bulk INSERT as `INSERT ... VALUES ($1::text, ...), (...)`, one parameter per value, for a
 * table Citus distributes. The plain-PostgreSQL form, `INSERT ... SELECT * FROM unnest(...)`, is
 * an INSERT ... SELECT to Citus: it runs the SELECT on the coordinator, collects the rows there
 * and then sends them to the shards (171 rows/s measured), and with ON CONFLICT DO NOTHING it
 * reports the rows it sent instead of those it wrote. Citus routes a multi-row VALUES INSERT
 * itself: the rows are split by shard and each shard's rows go in one statement, in parallel.
 *
 * `relation` is the quoted (schema-qualified) table, `columns` the quoted column names, `infos` their types and `values` one array of values (in
 * PostgreSQL's text form, or null) per column. Undefined when the rows need more parameters
 * than one statement takes (the caller then keeps the unnest form: slower, still correct).
 */
export function valuesInsert(
  relation: string,
  columns: readonly string[],
  infos: readonly ColumnInfo[],
  values: readonly (readonly (string | null)[])[],
  conflict: string,
): CompiledQuery | undefined {
  const rows = values[0]?.length ?? 0;
  if (rows === 0 || rows * columns.length > MAX_PARAMETERS) return undefined;
  const types = infos.map((info) => info.arrayType.replace(/\[\]$/, ""));
  const params = new Array<string | null>(rows * columns.length);
  const tuples = new Array<string>(rows);
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const cells = new Array<string>(columns.length);
    for (let c = 0; c < columns.length; c++) {
      params[n] = values[c]?.[r] ?? null;
      cells[c] = `$${++n}::${types[c]}`;
    }
    tuples[r] = `(${cells.join(", ")})`;
  }
  return {
    sql: `INSERT INTO ${relation} (${columns.join(", ")}) VALUES ${tuples.join(", ")}${conflict}`,
    params,
  };
}
