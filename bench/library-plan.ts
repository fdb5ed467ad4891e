/**
 * The plan a library search ran, read from the statements it sent (captured at the pg driver):
 * its `set_config('hnsw.ef_search', ...)` / `hnsw.iterative_scan` settings before each search
 * statement, or none for an exact scan. Lets the hand-written baseline run the same plan
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
const isSetting = (q: Captured) => /set_config\('hnsw\.ef_search'/.test(q.text);

export async function observePlan(search: () => Promise<unknown>): Promise<ObservedPlan> {
  const { queries } = await capture(search);
  const steps: PlanStep[] = [];
  let setting: Captured | undefined;
  for (const q of queries) {
    if (isSetting(q)) setting = q;
    else if (isSearch(q)) {
      const [ef, iterative] = (setting?.values ?? []).map(String);
      steps.push(
        setting
          ? { kind: iterative === "off" ? "hnsw" : "hnsw-iterative", efSearch: Number(ef) }
          : { kind: "exact", efSearch: 0 },
      );
      setting = undefined;
    }
  }
  return { steps, final: steps[steps.length - 1] ?? { kind: "exact", efSearch: 0 } };
}

export const stepLabel = (s: PlanStep): string =>
  s.kind === "exact" ? "exact" : `${s.kind} (ef_search ${s.efSearch})`;

export const planLabel = (p: ObservedPlan): string => p.steps.map(stepLabel).join(" then ") || "(no search seen)";
