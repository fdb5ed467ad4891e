import type { CompiledQuery } from "../db/execute.ts";
import { quoteIdent, quoteTable } from "../db/sql.ts";
import type { ParamCast } from "../query/sql-builder.ts";
import { SqlParams } from "../query/sql-builder.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";

/** Rows per INSERT: 500 Annotation rows bind 4,000 parameters, far below PostgreSQL's 65,535. */
export const ROWS_PER_STATEMENT = 500;

/** One column of a multi-row INSERT: the column name (from the schema) and an optional cast. */
interface Column {
  readonly column: string;
  readonly cast?: ParamCast | undefined;
}

/** An Annotation row as the INSERT binds it. */
export interface AnnotationValues {
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

/** A Document row as the INSERT binds it. */
export interface DocumentValues {
  readonly id: string;
  readonly title: string | null;
  readonly metadata: string;
}

/**
 * `INSERT INTO "Annotation" ... VALUES (...), (...) ON CONFLICT (id) DO UPDATE`, one statement per
 * {@link ROWS_PER_STATEMENT} rows. The vector travels as text in `embeddingPayload`; the BEFORE
 * INSERT trigger has already moved it into `embedding` when the conflict is found, so the UPDATE
 * sends it through the payload again (`EXCLUDED.embedding::text`) and the BEFORE UPDATE trigger
 * stores it, instead of treating the new text as one without a vector.
 */
export function upsertAnnotations(schema: StoreSchema, rows: readonly AnnotationValues[]): CompiledQuery[] {
  const model = schema.Annotation;
  const optional = (name: string, cast?: ParamCast) => {
    const f = model.fields.get(name);
    return f ? { column: f.column, cast } : undefined;
  };
  const label = optional("label");
  const page = optional("page", "int");
  const metadata = optional("metadata", "jsonb");
  const columns: [Column, (r: AnnotationValues) => unknown][] = [
    [{ column: model.idField.column }, (r) => r.id],
    [{ column: schema.documentForeignKey.column }, (r) => r.documentId],
    [{ column: model.textField.column }, (r) => r.rawText],
    [{ column: model.payloadField.column }, (r) => r.payload],
    [{ column: model.embeddingModelField.column }, (r) => r.embeddingModel],
  ];
  if (label) columns.push([label, (r) => r.label]);
  if (page) columns.push([page, (r) => r.page]);
  if (metadata) columns.push([metadata, (r) => r.metadata]);
  const payload = quoteIdent(model.payloadField.column);
  const set = columns
    .slice(1)
    .map(([c]) => quoteIdent(c.column))
    .map((c) =>
      c === payload ? `${c} = EXCLUDED.${quoteIdent(model.embeddingColumn)}::text` : `${c} = EXCLUDED.${c}`,
    );
  const updatedAt = model.fields.get("updatedAt");
  // The inserted row's CURRENT_TIMESTAMP: Citus refuses a non-IMMUTABLE function in DO UPDATE SET.
  if (updatedAt) set.push(`${quoteIdent(updatedAt.column)} = EXCLUDED.${quoteIdent(updatedAt.column)}`);
  const conflict = `ON CONFLICT (${quoteIdent(model.idField.column)}) DO UPDATE SET ${set.join(", ")}`;
  return insertStatements(model, columns, rows, conflict);
}

/** `INSERT INTO "Document" (id, content, title, metadata) ... ON CONFLICT (id) DO NOTHING`, content "". */
export function insertDocuments(schema: StoreSchema, rows: readonly DocumentValues[]): CompiledQuery[] {
  const model = schema.Document;
  const columns: [Column, (r: DocumentValues) => unknown][] = [
    [{ column: model.idField.column }, (r) => r.id],
    [{ column: model.textField.column }, () => ""],
  ];
  const title = model.fields.get("title");
  if (title) columns.push([{ column: title.column }, (r) => r.title]);
  const metadata = model.fields.get("metadata");
  if (metadata) columns.push([{ column: metadata.column, cast: "jsonb" }, (r) => r.metadata]);
  return insertStatements(model, columns, rows, `ON CONFLICT (${quoteIdent(model.idField.column)}) DO NOTHING`);
}

function insertStatements<R>(
  model: ModelMeta,
  columns: readonly [Column, (r: R) => unknown][],
  rows: readonly R[],
  conflict: string,
): CompiledQuery[] {
  // @updatedAt columns have no database default: Prisma fills them, so this SQL must too.
  const updatedAt = model.fields.get("updatedAt");
  const names = columns.map(([c]) => quoteIdent(c.column));
  if (updatedAt) names.push(quoteIdent(updatedAt.column));
  const statements: CompiledQuery[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const params = new SqlParams();
    const values = rows.slice(start, start + ROWS_PER_STATEMENT).map((row) => {
      const cells = columns.map(([c, read]) => params.param(read(row), c.cast));
      if (updatedAt) cells.push("CURRENT_TIMESTAMP");
      return `(${cells.join(", ")})`;
    });
    statements.push(
      params.finish(`INSERT INTO ${quoteTable(model)} (${names.join(", ")}) VALUES ${values.join(", ")} ${conflict}`),
    );
  }
  return statements;
}

/** Every chunk of a ref doc, then the Document row itself (no reliance on ON DELETE CASCADE). */
export function deleteRefDoc(schema: StoreSchema, refDocId: string): CompiledQuery[] {
  const a = schema.Annotation;
  const d = schema.Document;
  return [
    {
      sql: `DELETE FROM ${quoteTable(a)} WHERE ${quoteIdent(schema.documentForeignKey.column)} = $1`,
      params: [refDocId],
    },
    { sql: `DELETE FROM ${quoteTable(d)} WHERE ${quoteIdent(d.idField.column)} = $1`, params: [refDocId] },
  ];
}

/** Annotation rows by id. */
export function deleteAnnotations(schema: StoreSchema, ids: readonly string[]): CompiledQuery {
  const a = schema.Annotation;
  return {
    sql: `DELETE FROM ${quoteTable(a)} WHERE ${quoteIdent(a.idField.column)}::text = ANY($1::text[])`,
    params: [ids],
  };
}

/** The stored vectors of some Annotation rows, as pgvector text. */
export function selectEmbeddings(schema: StoreSchema, ids: readonly string[]): CompiledQuery {
  const a = schema.Annotation;
  const id = quoteIdent(a.idField.column);
  return {
    sql:
      `SELECT ${id}::text AS "id", ${quoteIdent(a.embeddingColumn)}::text AS "embedding" ` +
      `FROM ${quoteTable(a)} WHERE ${id}::text = ANY($1::text[]) AND ${quoteIdent(a.embeddingColumn)} IS NOT NULL`,
    params: [ids],
  };
}
