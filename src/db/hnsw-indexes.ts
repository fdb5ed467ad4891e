import { queryRows, type RawClient } from "./execute.ts";

/** An HNSW index of a table, as the catalog has it now. */
export interface HnswIndex {
  readonly name: string;
  /** `pg_get_indexdef`: the statement that recreates it exactly (name, schema, opclass, WITH options). */
  readonly definition: string;
  /**
   * Built and maintained (`indisvalid AND indisready`): the planner may use it. False while a
   * `CREATE INDEX CONCURRENTLY` runs or after one failed.
   */
  readonly usable: boolean;
}

/** The HNSW indexes of `relation` (quoted and schema-qualified, as `quoteTable` writes it). */
export function readHnswIndexes(client: RawClient, relation: string): Promise<HnswIndex[]> {
  return queryRows<HnswIndex>(client, {
    sql: `SELECT c.relname::text AS "name", pg_get_indexdef(i.indexrelid) AS "definition", (i.indisvalid AND i.indisready) AS "usable"
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      JOIN pg_catalog.pg_am am ON am.oid = c.relam
      WHERE i.indrelid = to_regclass($1) AND am.amname = 'hnsw' ORDER BY c.relname`,
    params: [relation],
  });
}

/** How long another process's drop or rebuild may go unseen by the plan choice. */
export const HNSW_STATE_TTL_MS = 5_000;

/**
 * Whether each table has a usable HNSW index, for the plan choice: while a bulk load has the
 * index dropped (or a build is under way) no search may be planned on it. Read from the catalog
 * at most every {@link HNSW_STATE_TTL_MS}; this process's own bulk loads set it at once. A
 * search planned on a stale "usable" still returns exact rows: without the index PostgreSQL
 * sorts every row, only `explainSearch` would name the wrong plan for those few seconds.
 */
export class HnswState {
  readonly #read = new Map<string, { usable: Promise<boolean>; at: number }>();
  readonly #deferred = new Set<string>();

  async usable(client: RawClient, relation: string): Promise<boolean> {
    if (this.#deferred.has(relation)) return false;
    const now = Date.now();
    const hit = this.#read.get(relation);
    if (hit && now - hit.at < HNSW_STATE_TTL_MS) return hit.usable;
    const usable = readHnswIndexes(client, relation).then((all) => all.some((i) => i.usable));
    usable.catch(() => this.#read.delete(relation));
    this.#read.set(relation, { usable, at: now });
    return usable;
  }

  /** This process dropped the table's index for a load (true) or rebuilt it (false). */
  setDeferred(relation: string, deferred: boolean): void {
    this.#read.delete(relation);
    if (deferred) this.#deferred.add(relation);
    else this.#deferred.delete(relation);
  }
}
