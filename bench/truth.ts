/** Exact nearest neighbours computed in JavaScript from the generated data: the recall reference. */
import { type Dataset, DIMS, type QuerySet } from "./data.ts";

/**
 * Row indexes of the `k` rows with the highest cosine similarity to query `q` (rows are unit
 * vectors, so cosine = dot product) among rows whose draw passes `keep`.
 */
export function exactTopK(
  data: Dataset,
  queries: QuerySet,
  q: number,
  k: number,
  keep?: (r: number) => boolean,
): number[] {
  const v = data.vectors;
  const query = queries.vectors.subarray(q * DIMS, (q + 1) * DIMS);
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < data.size; i++) {
    if (keep && !keep(data.r[i]!)) continue;
    let s = 0;
    const o = i * DIMS;
    for (let d = 0; d < DIMS; d++) s += v[o + d]! * query[d]!;
    if (best.length < k || s > best[best.length - 1]!.s) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.i);
}

/** Top-k for every query, once per filter. */
export function exactAll(data: Dataset, queries: QuerySet, k: number, keep?: (r: number) => boolean): number[][] {
  return Array.from({ length: queries.count }, (_, q) => exactTopK(data, queries, q, k, keep));
}

/** Share of the true top-k that came back (rows missing from a short answer count as misses). */
export function recallAt(truth: readonly number[], got: readonly number[]): number {
  if (truth.length === 0) return got.length === 0 ? 1 : 0;
  const want = new Set(truth);
  let hit = 0;
  for (const g of new Set(got)) if (want.has(g)) hit++;
  return hit / truth.length;
}

/** Row index from the ids every store writes (`a123`). */
export const indexOfId = (id: unknown): number => Number(String(id).slice(1));
