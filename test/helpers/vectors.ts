import { randomUUID } from "node:crypto";

export const DIMS = 384;

/** A seeded PRNG (mulberry32), so test data is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller). */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function normalize(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function randomUnit(normal: () => number): number[] {
  return normalize(Array.from({ length: DIMS }, normal));
}

/** `centre + noise`, normalized: clustered like sentence embeddings, unlike isotropic noise. */
export function nearby(centre: readonly number[], normal: () => number, spread: number): number[] {
  const s = spread / Math.sqrt(DIMS);
  return normalize(centre.map((x) => x + s * normal()));
}

/** Cosine distance as pgvector computes it on the stored float4 values. */
export function cosineDistance(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.fround(a[i]!);
    const y = Math.fround(b[i]!);
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

export interface Scored {
  readonly id: string;
  readonly distance: number;
}

/** The exact answer: every row's distance to `query`, nearest first, ties by id. */
export function bruteForce(
  rows: readonly { id: string; vector: readonly number[] }[],
  query: readonly number[],
): Scored[] {
  return rows
    .map((r) => ({ id: r.id, distance: cosineDistance(r.vector, query) }))
    .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const vectorText = (v: readonly number[]): string => `[${v.join(",")}]`;

export interface BulkRow {
  readonly id?: string;
  readonly rawText: string;
  readonly label: string;
  readonly vector: readonly number[] | null;
  readonly page?: number | null;
}

interface RawExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Inserts annotations with a multi-row INSERT (the trigger moves "embeddingPayload" into
 * "embedding"): thousands of rows in a few statements instead of one create per row.
 */
export async function bulkInsertAnnotations(client: RawExecutor, documentId: string, rows: readonly BulkRow[]) {
  const ids: string[] = [];
  for (let start = 0; start < rows.length; start += 500) {
    const batch = rows.slice(start, start + 500);
    const params: unknown[] = [];
    const values = batch.map((r) => {
      const id = r.id ?? randomUUID();
      ids.push(id);
      params.push(id, documentId, r.rawText, r.label, r.vector ? vectorText(r.vector) : null, r.page ?? null);
      const n = params.length;
      return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n}::int, 'test-vectors', now())`;
    });
    await client.$executeRawUnsafe(
      `INSERT INTO "Annotation" ("id", "documentId", "rawText", "label", "embeddingPayload", "page", "embeddingModel", "updatedAt") VALUES ${values.join(", ")}`,
      ...params,
    );
  }
  return ids;
}

/** Rows a crashing bulk load writes (test/helpers/bulk-load-child.ts), the same for the test that checks them. */
export function crashRows(seed: number, n: number): { text: string; vector: number[] }[] {
  const normal = gaussian(rng(seed));
  const centres = Array.from({ length: 8 }, () => randomUnit(normal));
  return Array.from({ length: n }, (_, i) => ({
    text: `crash ${seed} row ${i}`,
    vector: nearby(centres[i % 8]!, normal, 0.3).map((x) => Number(x.toFixed(5))),
  }));
}
