import type { RawClient } from "./execute.ts";
import { type HnswIndex, readHnswIndexes } from "./hnsw-indexes.ts";

/** How long another process's drop or rebuild may go unseen by the plan choice. */
export const HNSW_STATE_TTL_MS = 5_000;

/**
 * The HNSW indexes of each table as the plan choice sees them: while a bulk load has them
 * dropped (or a build is under way) no search may be planned on them. Read from the catalog at
 * most every {@link HNSW_STATE_TTL_MS} per table (one query per table, none per search); this
 * process's own bulk loads set it at once. A search planned on a stale "usable" still returns
 * exact rows: without the index PostgreSQL sorts every row, only `explainSearch` would name the
 * wrong plan for those few seconds.
 *
 * A read that finds no usable index calls `onMissing` (the store's bulk load checks whether a
 * load that died left the index pending, and rebuilds it in the background).
 */
export class HnswState {
  readonly #read = new Map<string, { indexes: Promise<readonly HnswIndex[]>; at: number }>();
  readonly #deferred = new Set<string>();
  onMissing: ((relation: string) => void) | undefined;

  /** The table's HNSW indexes, usable or not; none while this process's load has them dropped. */
  indexes(client: RawClient, relation: string): Promise<readonly HnswIndex[]> {
    if (this.#deferred.has(relation)) return NONE;
    const now = Date.now();
    const hit = this.#read.get(relation);
    if (hit && now - hit.at < HNSW_STATE_TTL_MS) return hit.indexes;
    const indexes = readHnswIndexes(client, relation);
    indexes.then(
      (all) => {
        if (!all.some((i) => i.usable)) this.onMissing?.(relation);
      },
      () => this.#read.delete(relation),
    );
    this.#read.set(relation, { indexes, at: now });
    return indexes;
  }

  async usable(client: RawClient, relation: string): Promise<boolean> {
    return (await this.indexes(client, relation)).some((i) => i.usable);
  }

  /** This process dropped the table's index for a load (true) or rebuilt it (false). */
  setDeferred(relation: string, deferred: boolean): void {
    this.#read.delete(relation);
    if (deferred) this.#deferred.add(relation);
    else this.#deferred.delete(relation);
  }

  /** Forget what was read (an index was rebuilt): the next search reads the catalog again. */
  forget(relation: string): void {
    this.#read.delete(relation);
  }
}

const NONE: Promise<readonly HnswIndex[]> = Promise.resolve([]);
