import type { ScalarField, TableMeta } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { type ParamCast, SqlParams } from "../sql/sql-params.ts";
import type { StoreModels } from "./store-models.ts";

/** Rows per INSERT: 500 node rows bind at most 4,000 parameters, far below PostgreSQL's 65,535. */
export const ROWS_PER_STATEMENT = 500;

/** One column of a multi-row INSERT: the column name (from the schema) and an optional cast. */
interface Column {
  readonly column: string;
  readonly cast?: ParamCast | undefined;
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
export function upsertNodes(models: StoreModels, rows: readonly NodeValues[]): CompiledQuery[] {
  const nodes = models.nodes;
  const model = nodes.model;
  const columns: [Column, (r: NodeValues) => unknown][] = [
    [{ column: model.idField.column }, (r) => r.id],
    [{ column: nodes.refDocKey.column }, (r) => r.documentId],
    [{ column: nodes.text.column }, (r) => r.rawText],
    [{ column: model.payloadField.column }, (r) => r.payload],
    [{ column: model.embeddingModelField.column }, (r) => r.embeddingModel],
    [{ column: nodes.metadata.column, cast: "jsonb" }, (r) => r.metadata],
  ];
  if (nodes.label) columns.push([{ column: nodes.label.column }, (r) => r.label]);
  if (nodes.page) columns.push([{ column: nodes.page.column, cast: "int" }, (r) => r.page]);
  const payload = quoteIdent(model.payloadField.column);
  const set = columns
    .slice(1)
    .map(([c]) => quoteIdent(c.column))
    .map((c) =>
      c === payload ? `${c} = EXCLUDED.${quoteIdent(model.embeddingColumn)}::text` : `${c} = EXCLUDED.${c}`,
    );
  // The inserted row's CURRENT_TIMESTAMP: Citus refuses a non-IMMUTABLE function in DO UPDATE SET.
  for (const f of nodes.updatedAt) set.push(`${quoteIdent(f.column)} = EXCLUDED.${quoteIdent(f.column)}`);
  const conflict = `ON CONFLICT (${quoteIdent(model.idField.column)}) DO UPDATE SET ${set.join(", ")}`;
  return insertStatements(model, nodes.updatedAt, columns, rows, conflict);
}

/** `INSERT INTO <ref doc table> (id, <text> "", title, metadata) ... ON CONFLICT (id) DO NOTHING`. */
export function insertRefDocs(models: StoreModels, rows: readonly RefDocValues[]): CompiledQuery[] {
  const refDocs = models.refDocs;
  const columns: [Column, (r: RefDocValues) => unknown][] = [
    [{ column: refDocs.id.column }, (r) => r.id],
    ...refDocs.text.map((f): [Column, () => string] => [{ column: f.column }, () => ""]),
  ];
  if (refDocs.title) columns.push([{ column: refDocs.title.column }, (r) => r.title]);
  if (refDocs.metadata) columns.push([{ column: refDocs.metadata.column, cast: "jsonb" }, (r) => r.metadata]);
  const conflict = `ON CONFLICT (${quoteIdent(refDocs.id.column)}) DO NOTHING`;
  return insertStatements(refDocs.model, refDocs.updatedAt, columns, rows, conflict);
}

function insertStatements<R>(
  model: TableMeta,
  updatedAt: readonly ScalarField[],
  columns: readonly [Column, (r: R) => unknown][],
  rows: readonly R[],
  conflict: string,
): CompiledQuery[] {
  // @updatedAt columns have no database default: Prisma fills them, so this SQL must too.
  const names = [...columns.map(([c]) => quoteIdent(c.column)), ...updatedAt.map((f) => quoteIdent(f.column))];
  const statements: CompiledQuery[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const params = new SqlParams();
    const values = rows.slice(start, start + ROWS_PER_STATEMENT).map((row) => {
      const cells = columns.map(([c, read]) => params.param(read(row), c.cast));
      for (const _ of updatedAt) cells.push("CURRENT_TIMESTAMP");
      return `(${cells.join(", ")})`;
    });
    statements.push(
      params.finish(`INSERT INTO ${quoteTable(model)} (${names.join(", ")}) VALUES ${values.join(", ")} ${conflict}`),
    );
  }
  return statements;
}

/** Every node of a ref doc, then the ref doc row itself (no reliance on ON DELETE CASCADE). */
export function deleteRefDoc(models: StoreModels, refDocId: string): CompiledQuery[] {
  const { nodes, refDocs } = models;
  return [
    {
      sql: `DELETE FROM ${quoteTable(nodes.model)} WHERE ${quoteIdent(nodes.refDocKey.column)} = $1`,
      params: [refDocId],
    },
    { sql: `DELETE FROM ${quoteTable(refDocs.model)} WHERE ${quoteIdent(refDocs.id.column)} = $1`, params: [refDocId] },
  ];
}

/** Node rows by id. */
export function deleteNodes(models: StoreModels, ids: readonly string[]): CompiledQuery {
  const a = models.nodes.model;
  return {
    sql: `DELETE FROM ${quoteTable(a)} WHERE ${quoteIdent(a.idField.column)}::text = ANY($1::text[])`,
    params: [ids],
  };
}

/** The stored vectors of some node rows, as pgvector text. */
export function selectEmbeddings(models: StoreModels, ids: readonly string[]): CompiledQuery {
  const a = models.nodes.model;
  const id = quoteIdent(a.idField.column);
  return {
    sql:
      `SELECT ${id}::text AS "id", ${quoteIdent(a.embeddingColumn)}::text AS "embedding" ` +
      `FROM ${quoteTable(a)} WHERE ${id}::text = ANY($1::text[]) AND ${quoteIdent(a.embeddingColumn)} IS NOT NULL`,
    params: [ids],
  };
}
