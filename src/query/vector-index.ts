import type { HnswIndex } from "../db/hnsw-indexes.ts";
import { qualified } from "../sql/identifiers.ts";

/**
 * The HNSW index a table's vector searches walk:
 * - `vector`: on the embedding column itself (the migrations' index, 4 bytes per dimension);
 * - `halfvec`: on the expression `(embedding::halfvec(N))` with `halfvec_cosine_ops`, 2 bytes
 *   per dimension, so about half the index memory (docs/scaling.md). Candidates come from the
 *   index in half-precision order and are re-ranked by the full-precision distance, so the
 *   distances a search returns stay exact.
 *
 * @example
 * ```ts
 * const { plan } = await prisma.annotation.explainSearch({ query: "notice period" });
 * plan.index; // { type: "halfvec", dimensions: 384 } after `prisma-hybrid-store index --halfvec`
 * ```
 */
export type VectorIndex = { readonly type: "vector" } | { readonly type: "halfvec"; readonly dimensions: number };

export const VECTOR_INDEX: VectorIndex = { type: "vector" };

type IndexKey = Pick<HnswIndex, "opclass" | "key" | "column">;

const kinds = new WeakMap<readonly HnswIndex[], Map<string, VectorIndex>>();

/**
 * The index a search on `column` walks, from the table's HNSW indexes as {@link HnswState}
 * read them (one catalog read every few seconds, see db/hnsw-indexes.ts): a usable, non-partial
 * cosine index on the column wins; otherwise a usable, non-partial `halfvec_cosine_ops` index on
 * `(embedding::halfvec(N))`; otherwise `vector` (no index at all: the planner sorts, which is
 * exact). Remembered per catalog read, so a search pays one map lookup.
 */
export function vectorIndexOf(indexes: readonly HnswIndex[], column: string): VectorIndex {
  let byColumn = kinds.get(indexes);
  if (!byColumn) {
    byColumn = new Map();
    kinds.set(indexes, byColumn);
  }
  let kind = byColumn.get(column);
  if (!kind) {
    kind = pickIndex(
      indexes.filter((i) => i.usable && !i.partial),
      column,
    );
    byColumn.set(column, kind);
  }
  return kind;
}

/** The index kind from the table's HNSW indexes (exported for unit tests). */
export function pickIndex(rows: readonly IndexKey[], column: string): VectorIndex {
  const plain = rows.some((r) => r.column && r.opclass === "vector_cosine_ops" && unquote(r.key) === column);
  if (plain) return VECTOR_INDEX;
  for (const r of rows) {
    if (r.column || r.opclass !== "halfvec_cosine_ops") continue;
    const dims = halfvecCastOf(r.key, column);
    if (dims !== undefined) return { type: "halfvec", dimensions: dims };
  }
  return VECTOR_INDEX;
}

/** `((embedding)::halfvec(384))` or `("embedding")::halfvec(384)` as pg_get_indexdef prints it -> 384. */
function halfvecCastOf(key: string, column: string): number | undefined {
  const m = /^\(*(.+?)\)*::halfvec\((\d+)\)\)*$/.exec(key.trim());
  if (!m) return undefined;
  return unquote(m[1]!.replace(/^\(+|\)+$/g, "")) === column ? Number(m[2]) : undefined;
}

/**
 * Whether one of the table's usable HNSW indexes is on `column` (its key the column or an
 * expression of it): a table with several vector columns may have one rebuilt or missing.
 */
export function indexesColumn(indexes: readonly HnswIndex[], column: string): boolean {
  return indexes.some((i) => i.usable && keyColumn(i.key) === column);
}

/** The column an index key starts from: `"Emb Col"`, `embedding`, `((embedding)::halfvec(384))` -> the name. */
function keyColumn(key: string): string {
  const m = /^\(*\s*("(?:[^"]|"")+"|[^\s:()]+)/.exec(key.trim());
  return m ? unquote(m[1]!) : key;
}

const unquote = (name: string): string =>
  name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;

/**
 * The ORDER BY key an HNSW plan sorts by, matching the index expression exactly (the planner
 * uses an expression index only for the same expression): `alias.embedding <=> vector`, or
 * `(alias.embedding::halfvec(N)) <=> vector::halfvec(N)`.
 */
export function indexOrder(index: VectorIndex, alias: string, column: string, vector: string): string {
  const emb = qualified(alias, column);
  if (index.type === "vector") return `${emb} <=> ${vector}`;
  const cast = `::halfvec(${index.dimensions})`;
  return `(${emb}${cast}) <=> (${vector})${cast}`;
}

/**
 * Rows to take from a halfvec index before the exact re-rank: for a plain scan every candidate
 * the graph search holds (ef_search of them; more costs nothing but heap reads and exact
 * distances), for an iterative scan twice the rows asked (each extra one must also pass the
 * filter, which makes the scan walk further). A vector index orders exactly: `limit`.
 */
export function candidateLimit(index: VectorIndex, limit: number, efSearch: number | null, iterative: boolean): number {
  if (index.type === "vector" || efSearch === null) return limit;
  return Math.max(limit, iterative ? 2 * limit : efSearch);
}
