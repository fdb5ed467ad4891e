/**
 * The search and plans suites share one loaded dataset: the first of them to run in a process
 * loads it, the other reuses it if the size matches and no other suite wrote in between.
 */
import type { RawClient } from "../src/db/execute.ts";
import { createSpace, type Dataset, generateDataset, generateQueries, type QuerySet } from "./data.ts";
import { type LoadReport, loadAnnotations } from "./load.ts";
import type { Statement } from "./search-sql.ts";
import type { SuiteContext } from "./suite.ts";
import { indexOfId } from "./truth.ts";

export interface Loaded {
  readonly data: Dataset;
  readonly queries: QuerySet;
  readonly load: LoadReport;
}

let current: { url: string; size: number; queries: number; family: string; loaded: Loaded } | undefined;

/** Call from any suite that writes to the tables. */
export const forgetDataset = (): void => {
  current = undefined;
};

export async function ensureDataset(ctx: SuiteContext, size: number, queryCount: number): Promise<Loaded> {
  const { url } = ctx.target;
  const family = ctx.family;
  if (
    current &&
    current.url === url &&
    current.size === size &&
    current.queries === queryCount &&
    current.family === family
  ) {
    ctx.log(`  reusing the ${size}-row dataset loaded by the previous suite`);
    return current.loaded;
  }
  const space = createSpace({ family });
  ctx.log(`  generating ${size} rows (${family} unit vectors, seed ${space.options.seed})`);
  const data = generateDataset(space, size);
  const queries = generateQueries(space, queryCount);
  ctx.log(`  bulk loading ${size} rows (multi-row INSERT of 1000, indexes rebuilt after)`);
  const load = await loadAnnotations(url, data, ctx.log);
  ctx.log(`  loaded in ${load.insertSeconds.toFixed(1)} s, indexes built in ${load.indexSeconds.toFixed(1)} s`);
  const loaded = { data, queries, load };
  current = { url, size, queries: queryCount, family, loaded };
  return loaded;
}

type Batch = (queries: PromiseLike<unknown>[]) => PromiseLike<unknown[]>;

/** Runs a hand-written statement as the library runs its own: settings and query in one batch transaction. */
export async function runStatement(client: RawClient & { $transaction: unknown }, s: Statement): Promise<number[]> {
  let rows: { id: string }[];
  if (s.settings) {
    const batch = client.$transaction as Batch;
    const [, r] = await batch.call(client, [
      client.$executeRawUnsafe(s.settings),
      client.$queryRawUnsafe(s.sql, ...s.values),
    ]);
    rows = r as { id: string }[];
  } else {
    rows = await client.$queryRawUnsafe<{ id: string }[]>(s.sql, ...s.values);
  }
  return rows.map((r) => indexOfId(r.id));
}
