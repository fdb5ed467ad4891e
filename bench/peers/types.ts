/** What the peers suite needs from each vector store it compares. */

/** One row as every store receives it: the same text, metadata and precomputed vector. */
export interface PeerRow {
  readonly i: number;
  readonly id: string;
  readonly text: string;
  /** `l<r % 100>`: `l0` keeps 1% of rows (a column, where the store has columns). */
  readonly label: string;
  /** `t<r % 100>`: the same 1% as metadata, for stores that filter JSON metadata. */
  readonly tenant: string;
  readonly page: number;
  readonly vector: Float32Array;
}

export interface PeerStore {
  readonly name: string;
  /** Its table, indexes and the filter it runs for "1% filter". */
  readonly layout: string;
  /** Tables to ANALYZE and measure. */
  readonly tables: readonly string[];
  setup(): Promise<void>;
  /** Writes one batch through the store's own API (its embeddings object returns the precomputed vectors). */
  insert(batch: readonly PeerRow[]): Promise<void>;
  /**
   * Appends rows (untimed) through a fast path into the same table layout, with the values its
   * API writes, and rebuilds its vector index around them: the rows of a big run after the
   * first `--api-rows`, which its API would take hours to write on a slow target.
   */
  bulkLoad(rows: readonly PeerRow[], log: (line: string) => void): Promise<void>;
  /** Top-10 row indexes for the vector, optionally under the 1% filter. */
  search(vector: readonly number[], filtered: boolean): Promise<number[]>;
  close(): Promise<void>;
}

/** text -> precomputed vector, shared by all the fake embeddings objects. */
export type VectorLookup = (text: string) => Float32Array;
