import { quoteTable } from "../sql/identifiers.ts";
import { type CatalogType, catalogType, SqlParams } from "../sql/sql-params.ts";
import type { RawClient } from "./execute.ts";

/** What a bulk INSERT needs to know about one column of a table. */
export interface ColumnInfo {
  /** The column's type with its modifier, to cast values to: `timestamp(3) without time zone`. */
  readonly sqlType: CatalogType;
  /** `timestamp without time zone`, `jsonb`, ... */
  readonly type: string;
  readonly hasDefault: boolean;
  /** A generated column, which an INSERT must not name. */
  readonly generated: boolean;
}

interface ColumnRow {
  name: string;
  sql_type: string;
  type: string;
  has_default: boolean;
  generated: boolean;
}

/**
 * The columns of a model's table (in its schema, else as it resolves on the search path, like
 * every other statement of the library), read from the catalog. Columns whose type has no array
 * type are left out: a bulk INSERT cannot send them.
 */
export async function readColumns(
  client: RawClient,
  table: { readonly table: string; readonly schema: string | undefined },
): Promise<ReadonlyMap<string, ColumnInfo>> {
  const params = new SqlParams();
  const rows = await client.$queryRawUnsafe<ColumnRow[]>(
    `SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS sql_type,
            format_type(a.atttypid, NULL) AS type, a.atthasdef AS has_default, a.attgenerated <> '' AS generated
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass(${params.param(quoteTable(table))}) AND a.attnum > 0 AND NOT a.attisdropped AND t.typarray <> 0`,
    ...params.values,
  );
  return new Map(
    rows.map((r) => [
      r.name,
      { sqlType: catalogType(r.sql_type), type: r.type, hasDefault: r.has_default, generated: r.generated },
    ]),
  );
}
