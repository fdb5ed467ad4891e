/** The hand-written baseline of the ingest suite: the same rows as one multi-row INSERT. */
// The library's own vector text (src/sql/vector-text.ts): the baseline must not win by sending fewer digits.
import { vectorToSql } from "../../src/sql/vector-text.ts";

export interface IngestRow {
  readonly id: string;
  readonly documentId: string;
  readonly rawText: string;
  readonly label: string;
  readonly page: number;
  readonly position: number;
  readonly metadata: Record<string, number>;
}

/** INSERT of annotation rows with their vectors in "embeddingPayload", as the save hook writes them. */
export function insertAnnotations(rows: readonly IngestRow[], vectors: readonly number[][], model: string) {
  const params: unknown[] = [];
  const tuples = rows.map((row, i) => {
    const b = params.length;
    params.push(row.id, row.documentId, row.rawText, row.label, row.page, row.position);
    params.push(JSON.stringify(row.metadata), vectorToSql(vectors[i]!), model);
    return `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7}::jsonb,$${b + 8},$${b + 9},now())`;
  });
  const sql = `INSERT INTO "Annotation" (id, "documentId", "rawText", label, page, position, metadata, "embeddingPayload", "embeddingModel", "updatedAt") VALUES ${tuples.join(",")}`;
  return { sql, params };
}

export interface DocumentRow {
  readonly id: string;
  readonly title: string;
  readonly content: string;
  readonly label: string;
  readonly metadata: Record<string, number>;
}

/** INSERT of document rows with their vectors, as the save hook writes them. */
export function insertDocumentRows(rows: readonly DocumentRow[], vectors: readonly number[][], model: string) {
  const params: unknown[] = [];
  const tuples = rows.map((row, i) => {
    const b = params.length;
    params.push(
      row.id,
      row.title,
      row.content,
      row.label,
      JSON.stringify(row.metadata),
      vectorToSql(vectors[i]!),
      model,
    );
    return `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5}::jsonb,$${b + 6},$${b + 7},now())`;
  });
  const sql = `INSERT INTO "Document" (id, title, content, label, metadata, "embeddingPayload", "embeddingModel", "updatedAt") VALUES ${tuples.join(",")}`;
  return { sql, params };
}

export function insertDocument(id: string, content: string, vector: number[], model: string) {
  return {
    sql: `INSERT INTO "Document" (id, content, "embeddingPayload", "embeddingModel", "updatedAt") VALUES ($1, $2, $3, $4, now())`,
    params: [id, content, vectorToSql(vector), model],
  };
}
