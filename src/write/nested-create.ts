import { randomUUID } from "node:crypto";
import type { ColumnInfo } from "../db/table-columns.ts";
import { isPlainObject } from "../plain-object.ts";
import type { ClientDefaults } from "../schema/client-defaults.ts";
import type { StoreSchema, TableMeta } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { quoteIdent } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { bulkCreateSql } from "./bulk-create.ts";

/** What a `document.create` with nested annotations becomes: one statement, and the new id. */
export interface NestedCreate {
  readonly query: CompiledQuery;
  readonly id: string;
  /** `select` / `include` / `omit` of the call, for reading the row back as Prisma shapes it. */
  readonly shape: Record<string, unknown>;
  /**
   * The statement returns the document's scalar fields, named as Prisma names them (asked for
   * and the call has no select/include/omit); else it returns nothing.
   */
  readonly returnsRow: boolean;
}

const SHAPE_KEYS = new Set(["select", "include", "omit"]);

/**
 * `document.create({ data: { ...scalars, annotations: { create: [...] } } })` as one
 * `WITH d AS (INSERT INTO "Document" ...) INSERT INTO "Annotation" ... SELECT FROM unnest(...)`.
 * Prisma's nested write is a transaction of three statements whose client-side work on every
 * value (vector text included) costs more than the statements. Only plain arguments take this
 * path, each half under the same rules as the fast `createMany` (compileBulkCreate); anything
 * else returns undefined and goes to Prisma. The foreign key sees the document: PostgreSQL
 * checks it at the end of the statement. With `returnRow`, a call without select/include/omit
 * gets `WITH d AS (INSERT ... RETURNING <fields>), a AS (INSERT ...) SELECT * FROM d` instead.
 */
export function compileNestedCreate(
  schema: StoreSchema,
  defaults: ClientDefaults,
  columns: { readonly Document: ReadonlyMap<string, ColumnInfo>; readonly Annotation: ReadonlyMap<string, ColumnInfo> },
  args: unknown,
  now: Date,
  returnRow = false,
): NestedCreate | undefined {
  if (!isPlainObject(args) || !isPlainObject(args.data)) return undefined;
  const shape: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === "data" || value === undefined) continue;
    if (!SHAPE_KEYS.has(key)) return undefined;
    shape[key] = value;
  }
  const { annotations, ...document } = args.data;
  if (!isPlainObject(annotations) || Object.keys(annotations).some((k) => k !== "create")) return undefined;
  const children = Array.isArray(annotations.create) ? annotations.create : [annotations.create];
  if (children.length === 0 || !children.every(isPlainObject)) return undefined;
  const documentDefaults = defaults.get("Document");
  const annotationDefaults = defaults.get("Annotation");
  if (!documentDefaults || !annotationDefaults) return undefined;
  const meta = { parent: schema.Document, child: schema.Annotation, key: schema.documentForeignKey };
  // Prisma's input for a nested create has no foreign key; a caller's one is Prisma's error to report.
  if (children.some((c) => c[meta.key.name] !== undefined)) return undefined;

  const idField = meta.parent.idField.name;
  let id = document[idField];
  if (id === undefined && documentDefaults.get(idField)?.kind === "uuid") id = randomUUID();
  if (typeof id !== "string") return undefined;

  const params = new SqlParams();
  const parent = bulkCreateSql(
    params,
    meta.parent,
    documentDefaults,
    columns.Document,
    { data: [{ ...document, [idField]: id }] },
    now,
    "unnest",
  );
  if (!parent) return undefined;
  const rows = children.map((c) => ({ ...c, [meta.key.name]: id }));
  const child = bulkCreateSql(
    params,
    meta.child,
    annotationDefaults,
    columns.Annotation,
    { data: rows },
    now,
    "unnest",
  );
  if (!child) return undefined;
  if (returnRow && Object.keys(shape).length === 0) {
    const sql = `WITH d AS (${parent} RETURNING ${rowColumns(meta.parent)}), a AS (${child}) SELECT * FROM d`;
    return { query: params.finish(sql), id, shape, returnsRow: true };
  }
  return { query: params.finish(`WITH d AS (${parent}) ${child}`), id, shape, returnsRow: false };
}

/**
 * The model's scalar fields under their Prisma names, in schema order; enums as text, which is
 * how Prisma returns them (a raw enum column would come back as the driver reads an unknown type).
 */
function rowColumns(model: TableMeta): string {
  return [...model.fields.values()]
    .map(
      (f) =>
        `${quoteIdent(f.column)}${f.type === "Enum" ? (f.isList ? "::text[]" : "::text") : ""} AS ${quoteIdent(f.name)}`,
    )
    .join(", ");
}
