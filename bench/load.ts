/**
 * Fast bulk load of a generated dataset into the project's own tables: multi-row INSERTs of
 * ~1000 rows that send each vector as text in "embeddingPayload" (the trigger moves it into
 * "embedding", as for every write of the library). The HNSW and GIN indexes are dropped first
 * and rebuilt once at the end, which is much faster than growing them row by row.
 */
import pg from "pg";
import { type Dataset, documentCount, rowOf, vectorOf } from "./data.ts";

export const CHUNK = 1000;
export const BENCH_MODEL = "bench/precomputed";

/** A vector as pgvector text; 9 significant digits round-trip a float32 exactly. */
export function vectorText(v: ArrayLike<number>): string {
  let s = "[";
  for (let i = 0; i < v.length; i++) s += (i ? "," : "") + Number(v[i]).toPrecision(9);
  return `${s}]`;
}

export interface LoadReport {
  readonly rows: number;
  readonly insertSeconds: number;
  readonly indexSeconds: number;
}

export async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Empties both tables and loads rows 0..data.size-1 of `data`. */
export async function loadAnnotations(url: string, data: Dataset, log: (s: string) => void): Promise<LoadReport> {
  return withPg(url, async (c) => {
    await c.query(`TRUNCATE "Annotation", "Document"`);
    const indexes = await dropIndexes(c, "Annotation", ["hnsw", "gin"]);
    const t0 = performance.now();
    await insertDocuments(c, documentCount(data.size));
    for (let start = 0; start < data.size; start += CHUNK) {
      const end = Math.min(start + CHUNK, data.size);
      const insert = annotationInsert(data, start, end);
      await c.query(insert.text, insert.values);
      if (end % 20000 === 0 || end === data.size) log(`  loaded ${end}/${data.size} rows`);
    }
    const t1 = performance.now();
    await rebuildIndexes(c, indexes, log);
    await c.query(`ANALYZE "Annotation"`);
    await c.query(`ANALYZE "Document"`);
    return { rows: data.size, insertSeconds: (t1 - t0) / 1000, indexSeconds: (performance.now() - t1) / 1000 };
  });
}

/**
 * One multi-row INSERT of rows start..end-1 of `data` (the vector as "embeddingPayload", which
 * the trigger moves into "embedding", as for every library write).
 */
export function annotationInsert(data: Dataset, start: number, end: number): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples: string[] = [];
  for (let i = start; i < end; i++) {
    const row = rowOf(data, i);
    const b = values.length;
    tuples.push(
      `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7}::jsonb,$${b + 8},$${b + 9},now())`,
    );
    values.push(row.id, row.documentId, row.rawText, row.label, row.page, row.position);
    values.push(JSON.stringify(row.metadata), vectorText(vectorOf(data.vectors, i)), BENCH_MODEL);
  }
  return {
    text: `INSERT INTO "Annotation" (id, "documentId", "rawText", label, page, position, metadata, "embeddingPayload", "embeddingModel", "updatedAt") VALUES ${tuples.join(",")}`,
    values,
  };
}

export async function insertDocuments(c: pg.Client, count: number): Promise<void> {
  for (let start = 0; start < count; start += CHUNK) {
    const ids = Array.from({ length: Math.min(CHUNK, count - start) }, (_, k) => `d${start + k}`);
    await c.query(
      `INSERT INTO "Document" (id, content, "updatedAt") SELECT id, 'Benchmark document ' || id, now() FROM unnest($1::text[]) AS id`,
      [ids],
    );
  }
}

/** Drops a table's indexes of the given access methods and returns their definitions. */
export async function dropIndexes(c: pg.Client, table: string, methods: string[]): Promise<string[]> {
  const { rows } = await c.query<{ name: string; def: string }>(
    `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
       JOIN pg_class x ON x.relname = i.indexname JOIN pg_am am ON am.oid = x.relam
      WHERE i.schemaname = current_schema() AND i.tablename = $1 AND am.amname = ANY($2)`,
    [table, methods],
  );
  for (const r of rows) await c.query(`DROP INDEX "${r.name}"`);
  return rows.map((r) => r.def);
}

/** Recreates indexes from their definitions, with enough memory for an HNSW graph build. */
export async function rebuildIndexes(c: pg.Client, defs: string[], log: (s: string) => void): Promise<void> {
  await c.query(`SET maintenance_work_mem = '512MB'`);
  for (const def of defs) {
    const t = performance.now();
    await c.query(def);
    log(`  ${def.replace(/ ON .*/, "")}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await c.query(`RESET maintenance_work_mem`);
}
