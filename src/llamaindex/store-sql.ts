import type { TableMeta } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { type ConflictSet, insertSql, type OnConflict } from "../sql/insert.ts";
import { type ParamCast, SqlParams } from "../sql/sql-params.ts";
import { defaultValue, NO } from "../write/default-values.ts";
import type { DefaultFill, StoreModels } from "./store-models.ts";

/** Rows per INSERT: 500 node rows bind at most 4,000 parameters, far below PostgreSQL's 65,535. */
export const ROWS_PER_STATEMENT = 500;

/** One column of a multi-row INSERT: the column name (from the schema) and an optional cast. */
interface Column<R> {
  readonly column: string;
  readonly cast?: ParamCast | undefined;
  readonly read: (row: R) => unknown;
}

/** A node row as the INSERT binds it. */
export interface NodeValues {
  readonly id: string;
  readonly documentId: string;
  readonly rawText: string;
  readonly label: string | null;
  readonly page: number | null;
  readonly metadata: string;
  /** pgvector text form, `[0.1,...]`; the trigger moves it into `embedding`. */
  readonly payload: string;
  readonly embeddingModel: string;
}

/** A ref doc row as the INSERT binds it. */
export interface RefDocValues {
  readonly id: string;
  readonly title: string | null;
  readonly metadata: string;
}

/**
 * `INSERT INTO <node table> ... VALUES (...), (...) ON CONFLICT (id) DO UPDATE`, one statement per
 * {@link ROWS_PER_STATEMENT} rows. The vector travels as text in the payload column; the BEFORE
 * INSERT trigger has already moved it into the vector column when the conflict is found, so the
 * UPDATE sends it through the payload again (`EXCLUDED.<vector>::text`) and the BEFORE UPDATE
 * trigger stores it, instead of treating the new text as one without a vector.
 */
export function upsertNodes(models: StoreModels, rows: readonly NodeValues[], now: Date): CompiledQuery[] {
  const nodes = models.nodes;
  const model = nodes.model;
  const columns: Column<NodeValues>[] = [
    { column: model.idField.column, read: (r) => r.id },
    { column: nodes.refDocKey.column, read: (r) => r.documentId },
    { column: nodes.text.column, read: (r) => r.rawText },
    { column: model.payloadField.column, read: (r) => r.payload },
    { column: model.embeddingModelField.column, read: (r) => r.embeddingModel },
    { column: nodes.metadata.column, cast: "jsonb", read: (r) => r.metadata },
  ];
  if (nodes.label) columns.push({ column: nodes.label.column, read: (r) => r.label });
  if (nodes.page) columns.push({ column: nodes.page.column, cast: "int", read: (r) => r.page });
  const payload = model.payloadField.column;
  const set: ConflictSet[] = columns
    .slice(1)
    .map(({ column }) =>
      column === payload ? { column, from: model.embeddingColumn, cast: "text" } : { column, from: column },
    );
  // The inserted row's time: Citus refuses a non-IMMUTABLE function in DO UPDATE SET.
  for (const { field, fill } of nodes.filled) {
    if (fill.kind === "updatedAt") set.push({ column: field.column, from: field.column });
  }
  const conflict: OnConflict = { action: "update", target: [model.idField.column], set };
  return insertStatements(model, nodes.filled, columns, rows, conflict, now);
}

/** `INSERT INTO <ref doc table> (id, <text> "", title, metadata) ... ON CONFLICT (id) DO NOTHING`. */
export function insertRefDocs(models: StoreModels, rows: readonly RefDocValues[], now: Date): CompiledQuery[] {
  const refDocs = models.refDocs;
  const columns: Column<RefDocValues>[] = [
    { column: refDocs.id.column, read: (r) => r.id },
    ...refDocs.text.map((f) => ({ column: f.column, read: () => "" })),
  ];
  if (refDocs.title) columns.push({ column: refDocs.title.column, read: (r) => r.title });
  if (refDocs.metadata) columns.push({ column: refDocs.metadata.column, cast: "jsonb", read: (r) => r.metadata });
  const conflict: OnConflict = { action: "nothing", target: [refDocs.id.column] };
  return insertStatements(refDocs.model, refDocs.filled, columns, rows, conflict, now);
}

function insertStatements<R>(
  model: TableMeta,
  filled: readonly DefaultFill[],
  columns: readonly Column<R>[],
  rows: readonly R[],
  onConflict: OnConflict,
  now: Date,
): CompiledQuery[] {
  // Prisma fills these on create (@updatedAt columns have no database default), so this SQL must
  // too, with the same values (a UUID per row); their types are the columns' own (VALUES rows).
  // NO comes only from a timestamp outside years 0-9999, which `now` is not.
  const defaults = filled.map(({ field, fill }) => ({
    column: field.column,
    read: () => {
      const value = defaultValue(fill, field, now, undefined);
      return value === NO ? null : value;
    },
  }));
  const all: Column<R>[] = [...columns, ...defaults];
  const statements: CompiledQuery[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const params = new SqlParams();
    const sql = insertSql(params, {
      table: model,
      columns: all.map((c) => ({ name: c.column, type: c.cast })),
      values: all.map((c) => chunk.map((row) => c.read(row))),
      rows: "values",
      onConflict,
    });
    statements.push(params.finish(sql));
  }
  return statements;
}

/** Every node of a ref doc, then the ref doc row itself (no reliance on ON DELETE CASCADE). */
export function deleteRefDoc(models: StoreModels, refDocId: string): CompiledQuery[] {
  const { nodes, refDocs } = models;
  const byKey = (table: TableMeta, column: string) => {
    const params = new SqlParams();
    return params.finish(`DELETE FROM ${quoteTable(table)} WHERE ${quoteIdent(column)} = ${params.param(refDocId)}`);
  };
  return [byKey(nodes.model, nodes.refDocKey.column), byKey(refDocs.model, refDocs.id.column)];
}

/** Node rows by id. */
export function deleteNodes(models: StoreModels, ids: readonly string[]): CompiledQuery {
  const a = models.nodes.model;
  const params = new SqlParams();
  return params.finish(
    `DELETE FROM ${quoteTable(a)} WHERE ${quoteIdent(a.idField.column)}::text = ANY(${params.param(ids, "text[]")})`,
  );
}

/** The stored vectors of some node rows, as pgvector text. */
export function selectEmbeddings(models: StoreModels, ids: readonly string[]): CompiledQuery {
  const a = models.nodes.model;
  const id = quoteIdent(a.idField.column);
  const params = new SqlParams();
  return params.finish(
    `SELECT ${id}::text AS "id", ${quoteIdent(a.embeddingColumn)}::text AS "embedding" ` +
      `FROM ${quoteTable(a)} WHERE ${id}::text = ANY(${params.param(ids, "text[]")}) AND ${quoteIdent(a.embeddingColumn)} IS NOT NULL`,
  );
}
