/** A candidate for {@link mmrRerank}: its similarity to the query and its vector. */
export interface MmrCandidate {
  /** Cosine similarity to the query (1 - cosine distance). */
  readonly similarity: number;
  readonly embedding: readonly number[];
}

/** One pick: the candidate's index in the input and its MMR score. */
export interface MmrPick {
  readonly index: number;
  readonly score: number;
}

/** LlamaIndex's default λ when `mmrThreshold` is not given. */
export const DEFAULT_MMR_THRESHOLD = 0.5;

/**
 * Maximal marginal relevance (Carbonell & Goldstein): picks `k` candidates one at a time, each
 * maximising `λ · sim(query, c) − (1 − λ) · max sim(c, picked)`. λ = 1 is plain relevance
 * order; smaller λ trades relevance for diversity. The penalty is the largest similarity to
 * *any* picked candidate (LlamaIndex's in-memory version compares with the last pick only).
 * Scores never increase from one pick to the next. Ties keep the input order.
 *
 * @example
 * ```ts
 * const picks = mmrRerank([{ similarity: 0.9, embedding: a }, { similarity: 0.8, embedding: b }], 1, 0.5);
 * ```
 */
export function mmrRerank(candidates: readonly MmrCandidate[], k: number, lambda: number): MmrPick[] {
  const unit = candidates.map((c) => normalize(c.embedding));
  const penalty = candidates.map(() => 0);
  const left = new Set(candidates.map((_, i) => i));
  const picks: MmrPick[] = [];
  while (picks.length < k && left.size > 0) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const i of left) {
      const score = lambda * candidates[i]!.similarity - (1 - lambda) * penalty[i]!;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    picks.push({ index: best, score: bestScore });
    left.delete(best);
    for (const i of left) {
      // Max over the picks so far, updated with the newest one.
      const overlap = dot(unit[i]!, unit[best]!);
      if (picks.length === 1 || overlap > penalty[i]!) penalty[i] = overlap;
    }
  }
  return picks;
}

function normalize(v: readonly number[]): number[] {
  const norm = Math.sqrt(dot(v, v));
  return norm === 0 ? v.map(() => 0) : v.map((x) => x / norm);
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
