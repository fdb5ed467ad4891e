import type { RawClient } from "../db/execute.ts";
import { queryRows, toHybridStoreError } from "../db/execute.ts";
import type { ModelMeta } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { SqlParams } from "../sql/sql-params.ts";
import type { SearchPlan } from "./plan.ts";

/**
 * A Prisma client (base, extended or interactive-transaction) as the search runners use it.
 * `$transaction` is absent on a transaction client.
 */
export interface SearchClient extends RawClient {
  $transaction?: unknown;
}

/**
 * Where an HNSW statement's pgvector settings go: inside the statement (`set_config()`, see
 * {@link indexVector}), or, on a Citus distributed table, as `SET LOCAL` in the statement's
 * transaction ({@link shardSettings}), because Citus evaluates `set_config()` on the coordinator
 * and the shards, which run the index scans, never see it.
 */
export type SettingsAt = "statement" | "shards";

/**
 * The query vector as the HNSW index's `ORDER BY` argument, carrying the plan's pgvector
 * settings, so a planned search is one statement and one round trip (no `BEGIN; set_config;
 * query; COMMIT` batch):
 *
 * `(SELECT CASE WHEN (set_config('hnsw.ef_search', $ef, true) || set_config('hnsw.iterative_scan', $mode, true)) IS NOT NULL THEN $vector END)`
 *
 * Why this is applied, and only to this statement:
 * - An uncorrelated scalar subquery is an InitPlan; the index scan's order-by key is its
 *   output, so PostgreSQL must evaluate it (and with it both `set_config` calls, which `||`
 *   both evaluates) before the first `hnswgettuple`, which is where pgvector 0.8 reads
 *   `hnsw.ef_search`, `hnsw.iterative_scan` and `hnsw.max_scan_tuples`. A data dependency, not
 *   an evaluation-order assumption. (Only the planner's cost estimate still sees the session's
 *   ef_search: it reads the setting at plan time.)
 * - `is_local = true` outside a transaction block lasts until the end of the statement's
 *   implicit transaction, so nothing reaches the next query on a pooled connection. Inside a
 *   caller's interactive transaction the settings last until that transaction ends, as
 *   `SET LOCAL` would.
 * Proved on both targets by test/integration/query-one-statement.test.ts.
 */
export function indexVector(
  params: SqlParams,
  plan: SearchPlan,
  vector: string,
  settings: SettingsAt = "statement",
): string {
  if (plan.kind === "exact" || plan.efSearch === null || settings === "shards") return vector;
  const ef = params.param(String(plan.efSearch));
  // An iterative scan for both HNSW plans: without one, a plain scan ends after ef_search rows,
  // and a page past them would come from another plan. Relaxed order keeps the recall of the
  // rows found after the first ef_search (strict order drops every row found out of order:
  // recall@10 0.7 instead of 1.0 in test/integration/query-similarity); pages cut the stream
  // into fixed blocks instead of sorting it (buildSimilarityQuery).
  const mode = params.param("relaxed_order");
  return (
    `(SELECT CASE WHEN (set_config('hnsw.ef_search', ${ef}, true) || ` +
    `set_config('hnsw.iterative_scan', ${mode}, true)) IS NOT NULL THEN ${vector} END)`
  );
}

/**
 * Runs an HNSW statement with the planner's sort and sequential scan off, so PostgreSQL walks the
 * index whatever the LIMIT. Left to itself it sorts the filtered rows once `skip + take` is large
 * for the table (3,000 rows: from about 250), and a page read from a sort is not a slice of the
 * index's stream that the smaller pages of the same query read. Planner settings must be in
 * place before the statement is planned, so this is a batch transaction (`BEGIN; set_config;
 * query; COMMIT`); inside a caller's interactive transaction the settings are put back after.
 */
export async function queryIndexRows<T>(client: SearchClient, query: CompiledQuery): Promise<T[]> {
  return queryWithSettings(client, query, FORCE_INDEX_SETTINGS);
}

/**
 * Planner settings under which the only way to order by distance is the HNSW index. `enable_sort`
 * also marks the statement's own small sorts (the list's order) as disabled, and the cost that
 * adds would trigger JIT compilation (about 1 s per statement measured), hence `jit` off.
 */
export const FORCE_INDEX_SETTINGS: readonly (readonly [string, string])[] = [
  ["enable_sort", "off"],
  ["enable_seqscan", "off"],
  ["jit", "off"],
];

/**
 * The settings an HNSW statement over a Citus distributed table needs on the shards, which plan
 * and run its index scans: the plan's `hnsw.ef_search` and iterative scan, and with
 * `forceIndex` the planner settings of {@link FORCE_INDEX_SETTINGS}. Citus passes a `SET LOCAL` on to the
 * shards of the transaction (with `citus.propagate_set_commands = local`, set here too, so it
 * does not depend on the database's default); `set_config()` it evaluates on the coordinator
 * only (test/citus/distribution.test.ts shows both).
 */
export function shardSettings(plan: SearchPlan, forceIndex: boolean): (readonly [string, string])[] {
  const settings: (readonly [string, string])[] = [["citus.propagate_set_commands", "local"]];
  if (plan.kind !== "exact" && plan.efSearch !== null) {
    settings.push(["hnsw.ef_search", String(plan.efSearch)], ["hnsw.iterative_scan", "relaxed_order"]);
  }
  if (forceIndex) settings.push(...FORCE_INDEX_SETTINGS);
  return settings;
}

/**
 * Runs `query` on a Citus table with {@link shardSettings} in place for it alone: a batch
 * transaction of one `DO` block of `SET LOCAL`s (one round trip for all of them) and the query.
 * Inside a caller's interactive transaction the planner settings are set back after it and the
 * pgvector ones last until that transaction ends, as on one server.
 */
export async function queryOnShards<T>(
  client: SearchClient,
  query: CompiledQuery,
  settings: readonly (readonly [string, string])[],
): Promise<T[]> {
  return queryWithSettings(client, query, settings, true);
}

/** `SET LOCAL` has no parameters: every value is checked to be a plain word or number first. */
function setLocalBlock(settings: readonly (readonly [string, string])[]): string {
  const statements = settings.map(([name, value]) => {
    if (!/^[a-z_.]+$/.test(name) || !/^[A-Za-z0-9_.]+$/.test(value)) {
      throw new Error(`unexpected setting ${JSON.stringify(name)} = ${JSON.stringify(value)}`);
    }
    return `SET LOCAL ${name} = ${value};`;
  });
  return `DO $$BEGIN ${statements.join(" ")} END$$`;
}

/**
 * One statement that sets `settings` until the end of the transaction: `set_config(..., true)`
 * with bound values (one server, or the coordinator only), or for `"shards"` a `DO` block of
 * `SET LOCAL`s, which Citus passes on to the shards (see {@link shardSettings}).
 */
export function settingsStatement(settings: readonly (readonly [string, string])[], at: SettingsAt): CompiledQuery {
  if (at === "shards") return { sql: setLocalBlock(settings), params: [] };
  const params = new SqlParams();
  const calls = settings.map(([name, value]) => `set_config(${params.param(name)}, ${params.param(value)}, true)`);
  return params.finish(`SELECT ${calls.join(", ")}`);
}

/**
 * Runs `query` with `settings` for it alone, set by `set_config(..., true)` (the coordinator or
 * one server) or, `onShards`, by `SET LOCAL` (every node of a Citus transaction).
 */
async function queryWithSettings<T>(
  client: SearchClient,
  query: CompiledQuery,
  settings: readonly (readonly [string, string])[],
  onShards = false,
): Promise<T[]> {
  const apply = (values: readonly (readonly [string, string])[]) =>
    settingsStatement(values, onShards ? "shards" : "statement");
  if (typeof client.$transaction === "function") {
    const batch = client.$transaction as (queries: PromiseLike<unknown>[]) => PromiseLike<unknown[]>;
    const set = apply(settings);
    try {
      const results = await batch.call(client, [
        client.$executeRawUnsafe(set.sql, ...set.params),
        client.$queryRawUnsafe<T[]>(query.sql, ...query.params),
      ]);
      return results[1] as T[];
    } catch (cause) {
      throw toHybridStoreError(cause, query);
    }
  }
  // As on one server, where the statement's set_config() lasts until the caller's transaction
  // ends, the pgvector settings stay; the planner settings are put back.
  const names = settings.map(([name]) => name).filter((name) => !name.startsWith("hnsw."));
  const before = names.length > 0 ? await currentSettings(client, names) : undefined;
  await queryRows(client, apply(settings));
  try {
    return await queryRows<T>(client, query);
  } finally {
    if (names.length > 0)
      await queryRows(client, apply(names.map((name, i) => [name, before?.[String(i)] ?? ""] as const)));
  }
}

/** The session's values of the settings `names`, keyed by their position. */
async function currentSettings(client: SearchClient, names: readonly string[]): Promise<Record<string, string>> {
  const read = new SqlParams();
  const current = names.map((name, i) => `current_setting(${read.param(name)}) AS "${i}"`);
  const [row] = await queryRows<Record<string, string>>(client, read.finish(`SELECT ${current.join(", ")}`));
  return row ?? {};
}

/**
 * Runs a search statement the way its plan needs: an exact plan as it is; an HNSW plan with the
 * index forced (`forceIndex`, see {@link queryIndexRows}) or not, its settings inside the
 * statement, or on a Citus table as `SET LOCAL` ({@link queryOnShards}).
 */
export function queryPlanned<T>(
  client: SearchClient,
  query: CompiledQuery,
  plan: SearchPlan,
  settings: SettingsAt,
  forceIndex: boolean,
): Promise<T[]> {
  if (plan.kind === "exact") return queryRows<T>(client, query);
  if (settings === "shards") return queryOnShards<T>(client, query, shardSettings(plan, forceIndex));
  return forceIndex ? queryIndexRows<T>(client, query) : queryRows<T>(client, query);
}

/** Where the HNSW settings of a search over `model` go (see {@link SettingsAt}). */
export async function settingsAt(
  client: SearchClient,
  ctx: { readonly estimates: { placement(client: RawClient, model: ModelMeta): Promise<string> } },
  model: ModelMeta,
): Promise<SettingsAt> {
  return (await ctx.estimates.placement(client, model)) === "distributed" ? "shards" : "statement";
}
