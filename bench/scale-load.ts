/**
 * Loading and indexing for the scale suite: rows are appended to what is already loaded (row i
 * of a bigger dataset is row i of a smaller one), with no HNSW or GIN index while they arrive,
 * and one HNSW index (vector or halfvec) is then built at a time and measured.
 */
import { existsSync, readFileSync } from "node:fs";
import type pg from "pg";
import { HNSW_EF_CONSTRUCTION, HNSW_M } from "../src/schema/hybrid-sql.ts";
import { type Dataset, DIMS, documentCount } from "./data.ts";
import { annotationInsert, CHUNK, dropIndexes } from "./load.ts";

// halfvec first: at 1M rows on a loaded machine its build is the one that must finish.
export const INDEX_KINDS = ["halfvec", "vector"] as const;
export type IndexKind = (typeof INDEX_KINDS)[number];

/**
 * The migrations' graph (m 16, ef_construction 128, or another `m`), on the column or on its
 * halfvec cast, under the one name either way (as docs/scaling.md's migration swaps them, so
 * scripts/check-migrations.ts sees the protected index recreated).
 */
export function indexSql(kind: IndexKind, m = HNSW_M): string {
  const on =
    kind === "vector" ? `("embedding" vector_cosine_ops)` : `(("embedding"::halfvec(${DIMS})) halfvec_cosine_ops)`;
  return `CREATE INDEX "Annotation_embedding_hnsw_idx" ON "Annotation" USING hnsw ${on} WITH (m = ${Number(m)}, ef_construction = ${HNSW_EF_CONSTRUCTION})`;
}
const INDEX_NAME = "Annotation_embedding_hnsw_idx";

/** Empties the tables, drops their HNSW and GIN indexes (the text search is not measured here). */
export async function prepareEmpty(c: pg.Client, maxRows: number): Promise<void> {
  await c.query(`TRUNCATE "Annotation", "Document"`);
  await dropIndexes(c, "Annotation", ["hnsw", "gin"]);
  await dropIndexes(c, "Document", ["hnsw", "gin"]);
  for (let start = 0; start < documentCount(maxRows); start += CHUNK) {
    const ids = Array.from({ length: Math.min(CHUNK, documentCount(maxRows) - start) }, (_, k) => `d${start + k}`);
    await c.query(
      `INSERT INTO "Document" (id, content, "updatedAt") SELECT id, 'Benchmark document ' || id, now() FROM unnest($1::text[]) AS id`,
      [ids],
    );
  }
}

/**
 * Appends rows from..to-1 as multi-row INSERTs of 1000 (the vector as text in
 * "embeddingPayload", which the trigger moves into "embedding", as for every library write),
 * on two connections, so the server parses one chunk while the next is built and the other runs.
 */
export async function appendRows(
  clients: readonly [pg.Client, pg.Client],
  data: Dataset,
  from: number,
  to: number,
  log: (s: string) => void,
): Promise<number> {
  const t0 = performance.now();
  const busy: (Promise<unknown> | undefined)[] = [undefined, undefined];
  for (let start = from, n = 0; start < to; start += CHUNK, n++) {
    const end = Math.min(start + CHUNK, to);
    const insert = annotationInsert(data, start, end);
    const k = n % 2;
    await busy[k];
    busy[k] = clients[k]!.query(insert.text, insert.values);
    if (end % 100_000 === 0 || end === to) {
      const s = (performance.now() - t0) / 1000;
      log(`  loaded ${end}/${to} rows (${Math.round((end - from) / s)} rows/s)`);
    }
  }
  await Promise.all(busy);
  await clients[0].query(`ANALYZE "Annotation"`);
  return (performance.now() - t0) / 1000;
}

export interface IndexBuild {
  readonly kind: IndexKind;
  readonly seconds: number;
  readonly indexMiB: number;
  /** Peak RSS (VmHWM) of the backend that built the index; null when the server is not on this machine. */
  readonly backendPeakMiB: number | null;
}

/** Builds one HNSW index in a fresh session (so its peak RSS is the build's). */
export async function buildIndex(
  connect: () => Promise<pg.Client>,
  kind: IndexKind,
  memory: string,
  workers: number,
  m = HNSW_M,
): Promise<IndexBuild> {
  const c = await connect();
  try {
    const { rows } = await c.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
    await c.query(`SET maintenance_work_mem = '${memory}'`);
    await c.query(`SET max_parallel_maintenance_workers = ${workers}`);
    const t = performance.now();
    await c.query(indexSql(kind, m));
    const seconds = (performance.now() - t) / 1000;
    const size = await c.query<{ b: string }>(`SELECT pg_relation_size($1::regclass)::text AS b`, [`"${INDEX_NAME}"`]);
    return {
      kind,
      seconds,
      indexMiB: Number(size.rows[0]!.b) / 2 ** 20,
      backendPeakMiB: procMiB(rows[0]!.pid, "VmHWM"),
    };
  } finally {
    await c.end();
  }
}

export async function dropIndex(c: pg.Client): Promise<void> {
  await c.query(`DROP INDEX IF EXISTS "${INDEX_NAME}"`);
}

export async function tableMiB(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ b: string }>(`SELECT pg_table_size('"Annotation"')::text AS b`);
  return Number(rows[0]!.b) / 2 ** 20;
}

/** A backend's memory from /proc (VmHWM: peak, VmRSS: now), when the server runs on this machine. */
export function procMiB(pid: number, field: "VmHWM" | "VmRSS"): number | null {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file) || !readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("postgres")) return null;
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(file, "utf8"));
  return m ? Number(m[1]) / 1024 : null;
}
