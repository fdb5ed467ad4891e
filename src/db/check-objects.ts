import { COSINE_OPCLASSES, movesPayload, watchesSources } from "../schema/hybrid-sql.ts";
import type { ReadyTable } from "../schema/ready-objects.ts";
import { quoteIdent } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";

/** One row of the catalog query: a table found, or one of its columns, triggers or indexes. */
interface Found {
  readonly key: number;
  readonly kind: "table" | "column" | "trigger" | "index";
  readonly name: string;
  /** Column: its type; trigger: its function's body; index: its access method. */
  readonly detail: string;
  /** Index only: its first key (a column, or an expression such as `(embedding::halfvec(384))`). */
  readonly key1: string | null;
  /** Index only: the operator class of its first key. */
  readonly opclass: string | null;
}

type Rows = <T>(sql: string, ...params: unknown[]) => Promise<T[]>;

/**
 * Reads the tables of `tables` from the catalog in one query and lists what is missing (what
 * makes the library fail: tables, columns, write-path triggers) and what is only slower
 * (indexes). A model without `@@schema` is looked up in `schema` (the adapter's), else on the
 * search path, as Prisma finds it.
 */
export async function missingObjects(
  rows: Rows,
  tables: readonly ReadyTable[],
  schema: string | undefined,
): Promise<{ missing: string[]; warnings: string[] }> {
  const schemas = tables.map((t) => t.dbSchema ?? schema ?? null);
  // ::text on every `name` column: @prisma/adapter-pg 6.x cannot read the `name` type (P2010).
  const params = new SqlParams();
  const wanted = `unnest(${params.param(schemas, "text[]")}, ${params.param(
    tables.map((t) => t.table),
    "text[]",
  )})`;
  const found = await rows<Found>(
    `with wanted as (
       select * from ${wanted} with ordinality as w(schema_name, table_name, key)
     ), t as (
       select w.key::int as key, c.oid from wanted w join pg_class c on c.relname = w.table_name and c.relkind in ('r', 'p')
        where case when w.schema_name is null then pg_table_is_visible(c.oid)
                   else c.relnamespace = (select n.oid from pg_namespace n where n.nspname = w.schema_name) end
     )
     select t.key, 'table' as kind, '' as name, '' as detail, null::text as key1, null::text as opclass from t
     union all
     select t.key, 'column', a.attname::text, format_type(a.atttypid, a.atttypmod), null, null
       from t join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
     union all
     select t.key, 'trigger', g.tgname::text, p.prosrc, null, null
       from t join pg_trigger g on g.tgrelid = t.oid and not g.tgisinternal and g.tgenabled <> 'D'
       join pg_proc p on p.oid = g.tgfoid
     union all
     select t.key, 'index', i.relname::text, am.amname::text, pg_get_indexdef(x.indexrelid, 1, false),
            (select o.opcname::text from pg_opclass o where o.oid = x.indclass[0])
       from t join pg_index x on x.indrelid = t.oid join pg_class i on i.oid = x.indexrelid
       join pg_am am on am.oid = i.relam`,
    ...params.values,
  );
  const missing: string[] = [];
  const warnings: string[] = [];
  tables.forEach((table, i) => {
    const mine = found.filter((f) => Number(f.key) === i + 1);
    const label =
      table.dbSchema === undefined
        ? quoteIdent(table.table)
        : `${quoteIdent(table.dbSchema)}.${quoteIdent(table.table)}`;
    if (!mine.some((f) => f.kind === "table")) {
      missing.push(`table ${label}`);
      return;
    }
    const columns = new Map(mine.filter((f) => f.kind === "column").map((f) => [f.name, f.detail]));
    for (const column of table.columns) if (!columns.has(column)) missing.push(`column ${label}.${quoteIdent(column)}`);
    for (const { column, type } of table.vectors) {
      const actual = columns.get(column);
      if (actual !== undefined && actual !== type)
        missing.push(`column ${label}.${quoteIdent(column)} as ${type} (it is ${actual})`);
    }
    for (const m of table.writePaths) {
      const writePaths = mine.filter((f) => f.kind === "trigger" && movesPayload(m, f.detail));
      const path = `${quoteIdent(m.payload.column)} -> ${quoteIdent(m.column)}`;
      if (writePaths.length === 0) missing.push(`write-path trigger on ${label} (${path})`);
      else if (!writePaths.some((f) => watchesSources(m, f.detail))) {
        // The marking's sources changed and `generate`'s CREATE OR REPLACE FUNCTION is not deployed.
        const sources = m.sources.map((s) => quoteIdent(s.column)).join(", ");
        missing.push(`write-path trigger on ${label} (${path}) watching ${sources}`);
      }
    }
    for (const index of table.indexes) {
      const candidates = mine.filter(
        (f) => f.kind === "index" && f.detail === index.method && keyColumn(f.key1 ?? "") === index.column,
      );
      const searches = index.method === "hnsw" ? "similarity searches" : "text searches";
      if (candidates.length === 0) {
        warnings.push(
          `Index "${index.name}" is missing: ${searches} on ${label} scan the whole table. ` +
            "Run `npx prisma-hybrid-store generate` and `npx prisma migrate deploy` to create it (a migration " +
            "generated by `prisma migrate diff` may have dropped it).",
        );
      } else if (index.method === "hnsw" && !candidates.some((f) => COSINE_OPCLASSES.includes(f.opclass ?? ""))) {
        warnings.push(
          `Index "${candidates[0]!.name}" on ${label}.${quoteIdent(index.column)} uses ${candidates[0]!.opclass}, ` +
            "but searches order by cosine distance (<=>): they scan the whole table. Recreate it with vector_cosine_ops.",
        );
      }
    }
  });
  return { missing, warnings };
}

/** The column an index key is on: `"embedding"`, `embedding`, `((embedding)::halfvec(384))` -> `embedding`. */
function keyColumn(key: string): string {
  const m = /^\(*\s*("(?:[^"]|"")+"|[^\s:()]+)/.exec(key);
  if (!m) return key;
  const name = m[1]!;
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}
