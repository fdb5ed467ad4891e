/** Batch-by-batch interleaving of the ingest paths, and how a comparison becomes a table row. */
import { fmt, percentile } from "../measure.ts";
import { Random } from "../random.ts";

export type PathName = "library" | "prismaAlone" | "handWritten";
export type Paths<T> = Record<PathName, (item: T) => Promise<unknown>>;
/** Milliseconds per batch, per path, in batch order. */
export type PathTimes = Record<PathName, number[]>;

const NAMES: readonly PathName[] = ["library", "prismaAlone", "handWritten"];
const TAG: Record<PathName, string> = { library: "L", prismaAlone: "P", handWritten: "H" };

/**
 * Every path writes every batch (under its own id prefix, made by `tag`), one batch at a time,
 * in a freshly shuffled (seeded) order per batch, so noise from other processes lands on all
 * paths alike. Not a fixed rotation: with one, each path mostly follows the same other path
 * and pays for the garbage that one left (the Prisma paths leave several times more than the
 * hand-written INSERT). The first batch is a warm-up and is not recorded.
 */
export async function interleaved<T>(
  paths: Paths<T>,
  batches: readonly T[],
  tag: (item: T, prefix: string) => T,
): Promise<PathTimes> {
  const times: PathTimes = { library: [], prismaAlone: [], handWritten: [] };
  const random = new Random(4);
  for (const [b, batch] of batches.entries()) {
    const order = [...NAMES];
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const name of order) {
      const item = tag(batch, TAG[name]);
      const t = performance.now();
      await paths[name](item);
      if (b > 0) times[name].push(performance.now() - t);
    }
  }
  return times;
}

/** Median over batches of the per-batch time ratio a / b. */
export const medianRatio = (t: PathTimes, a: PathName, b: PathName): number =>
  percentile(
    t[a].map((x, i) => x / t[b][i]!),
    50,
  );

export function throughputRow(what: string, t: PathTimes, perBatch: number, unit: string): string[] {
  const rate = (name: PathName) => {
    const r = (perBatch * t[name].length) / (t[name].reduce((a, b) => a + b, 0) / 1000);
    return `${fmt(r, r < 100 ? 1 : 0)} ${unit}`;
  };
  const vsRaw = medianRatio(t, "library", "handWritten");
  return [
    what,
    rate("library"),
    rate("prismaAlone"),
    rate("handWritten"),
    `${medianRatio(t, "library", "prismaAlone").toFixed(2)}x`,
    `${vsRaw.toFixed(2)}x`,
    vsRaw <= 1.15 ? "met" : "missed",
  ];
}
