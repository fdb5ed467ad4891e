/**
 * The plan a library search ran, read from the statements it sent (captured at the pg driver):
 * the `set_config('hnsw.ef_search', $n, true)` / `hnsw.iterative_scan` settings each search
 * statement carries (src/query/run-search.ts), or none for an exact scan. Lets the hand-written baseline run the same plan
 * without calling library internals.
 */
import { type Captured, capture } from "./explain.ts";
import type { VectorPlan } from "./search-sql.ts";

export interface PlanStep {
  readonly kind: VectorPlan;
  readonly efSearch: number;
}

export interface ObservedPlan {
  /** Every search statement it sent, in order: two when an HNSW attempt came back short. */
  readonly steps: PlanStep[];
  /** The step whose rows were returned. */
  readonly final: PlanStep;
}

const isSearch = (q: Captured) => /<=>/.test(q.text) && !/^\s*EXPLAIN/i.test(q.text);

/** The bound value of `set_config('<name>', $n, true)` in a captured statement. */
function setting(q: Captured, name: string): string | undefined {
  const m = new RegExp(`set_config\\('${name.replace(".", "\\.")}', \\$(\\d+)`).exec(q.text);
  return m ? String(q.values[Number(m[1]) - 1]) : undefined;
}

export async function observePlan(search: () => Promise<unknown>): Promise<ObservedPlan> {
  // Once uncaptured first: the store's recall calibration runs on its first HNSW search, and
  // its probe statements are not the search's.
  await search();
  const { queries } = await capture(search);
  const steps: PlanStep[] = queries.filter(isSearch).map((q) => {
    const ef = setting(q, "hnsw.ef_search");
    if (ef === undefined) return { kind: "exact", efSearch: 0 };
    return { kind: setting(q, "hnsw.iterative_scan") === "off" ? "hnsw" : "hnsw-iterative", efSearch: Number(ef) };
  });
  return { steps, final: steps[steps.length - 1] ?? { kind: "exact", efSearch: 0 } };
}

export const stepLabel = (s: PlanStep): string =>
  s.kind === "exact" ? "exact" : `${s.kind} (ef_search ${s.efSearch})`;

export const planLabel = (p: ObservedPlan): string => p.steps.map(stepLabel).join(" then ") || "(no search seen)";
