import type { CompiledQuery, RawClient } from "../db/execute.ts";
import { queryRows, toHybridStoreError } from "../db/execute.ts";
import type { SearchPlan } from "./plan.ts";
import { SqlParams } from "./sql-builder.ts";

/**
 * A Prisma client (base, extended or interactive-transaction) as the search runners use it.
 * `$transaction` is absent on a transaction client.
 */
export interface SearchClient extends RawClient {
  $transaction?: unknown;
}

type Batch = (queries: PromiseLike<unknown>[]) => PromiseLike<unknown[]>;

/** The pgvector settings of a plan, as a `set_config(..., is_local => true)` statement. */
export function planSettings(plan: SearchPlan): CompiledQuery | undefined {
  if (plan.kind === "exact") return undefined;
  const params = new SqlParams();
  const iterative = plan.kind === "hnsw-iterative" ? "relaxed_order" : "off";
  return params.finish(
    `SELECT set_config('hnsw.ef_search', ${params.param(String(plan.efSearch))}, true), ` +
      `set_config('hnsw.iterative_scan', ${params.param(iterative)}, true)`,
  );
}

/**
 * Runs a search statement under its plan's settings. They are transaction-local: on a client
 * with `$transaction` both statements go in one batch transaction, so the settings end with it
 * and never reach another query on a pooled connection. On a transaction client they run in
 * order and last until the caller's transaction ends.
 */
export async function runPlanned<T>(client: SearchClient, plan: SearchPlan, query: CompiledQuery): Promise<T[]> {
  const settings = planSettings(plan);
  if (!settings) return queryRows<T>(client, query);
  try {
    const set = () => client.$executeRawUnsafe(settings.sql, ...settings.params);
    const run = () => client.$queryRawUnsafe<T[]>(query.sql, ...query.params);
    if (typeof client.$transaction === "function") {
      const [, rows] = await (client.$transaction as Batch).call(client, [set(), run()]);
      return rows as T[];
    }
    await set();
    return await run();
  } catch (cause) {
    throw toHybridStoreError(cause, query);
  }
}
