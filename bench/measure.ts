/** Timing and memory helpers shared by the suites. */
import { Random } from "./random.ts";

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

export interface LatencyStats {
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly samples: number;
}

export function latencyStats(ms: readonly number[]): LatencyStats {
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), mean: mean(ms), samples: ms.length };
}

/**
 * Median over queries of a's time / b's time for the same query. `interleave` runs every variant
 * of a query in one round, so this cancels load that drifts during a run; a ratio of p50s does not.
 */
export function pairedRatio(a: { readonly ms: readonly number[] }, b: { readonly ms: readonly number[] }): number {
  return percentile(
    a.ms.map((ms, q) => ms / b.ms[q]!),
    50,
  );
}

/** One way of answering query q; returns the row indexes it found. */
export type Variant = (q: number) => Promise<number[]>;

export interface VariantRun {
  readonly ms: number[];
  readonly results: number[][];
}

/**
 * Runs every variant on every query, one query at a time, in a freshly shuffled order per query
 * (seeded, so runs repeat), so that drift on a noisy machine spreads evenly, and no variant
 * always follows the same other one: a fixed rotation made each variant pay for the garbage and
 * server work its fixed predecessor left behind. `warmup` queries run first, untimed.
 */
export async function interleave(
  variants: Readonly<Record<string, Variant>>,
  queries: number,
  warmup: number,
): Promise<Record<string, VariantRun>> {
  const names = Object.keys(variants);
  const runs: Record<string, VariantRun> = Object.fromEntries(names.map((n) => [n, { ms: [], results: [] }]));
  const random = new Random(1234);
  for (let w = 0; w < warmup; w++) for (const n of names) await variants[n]!(w % queries);
  for (let q = 0; q < queries; q++) {
    const order = [...names];
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const name of order) {
      const t = performance.now();
      const got = await variants[name]!(q);
      runs[name]!.ms.push(performance.now() - t);
      runs[name]!.results[q] = got;
    }
  }
  return runs;
}

/** Samples RSS and heap every `everyMs` while running; peaks in MiB. */
export class MemorySampler {
  #timer: NodeJS.Timeout | undefined;
  peakRss = 0;
  peakHeap = 0;
  readonly startRss: number;

  constructor(everyMs = 25) {
    this.startRss = process.memoryUsage.rss();
    this.sample();
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    const m = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed);
  }

  stop(): { peakRssMiB: number; peakHeapMiB: number; startRssMiB: number } {
    this.sample();
    clearInterval(this.#timer);
    const mib = (b: number) => b / 2 ** 20;
    return { peakRssMiB: mib(this.peakRss), peakHeapMiB: mib(this.peakHeap), startRssMiB: mib(this.startRss) };
  }
}

export const seconds = (startMs: number): number => (performance.now() - startMs) / 1000;

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
