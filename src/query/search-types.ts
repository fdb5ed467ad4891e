import type { Prisma } from "@prisma/client/extension";
import type { PlanChoice } from "./plan.ts";

type FindMany<T> = Prisma.Args<T, "findMany">;

/** A query vector: as many finite numbers as the embedder's dimensions (384). */
export type QueryVector = readonly number[] | Float32Array | Float64Array;

/** Arguments every search takes. `where`, `select` and `include` are the model's own Prisma types. */
export interface SearchArgsBase<T> {
  /** A Prisma `where` for this model (fields, AND/OR/NOT, relation and JSON filters). */
  where?: FindMany<T>["where"];
  /** Fields to return, as in `findMany` (the scores are always returned). */
  select?: FindMany<T>["select"];
  /** Relations to load, as in `findMany`. */
  include?: FindMany<T>["include"];
  /** Rows to return: 1 to 1000, default 10. */
  take?: number;
  /** Rows to skip first: 0 to 100,000, default 0. */
  skip?: number;
}

/** How the vector part runs (see `explainSearch` and docs on plans). */
export interface VectorPlanArgs<T = unknown> {
  /**
   * Which marked vector field to search (`"titleVector"`): required on a model that marks
   * several, optional on one that marks one. Typed as the model's vector field names as its
   * `<vector>Payload` fields show them (a payload given another name with `payload:` types it
   * wrong: cast the name).
   */
  vectorField?: VectorFieldName<T>;
  /** Force an exact scan of the filtered rows (perfect recall). Same as `plan: "exact"`. */
  exact?: boolean;
  /** `"auto"` (default) chooses by the filter's estimated row count. */
  plan?: PlanChoice;
  /** pgvector's `hnsw.ef_search` for the HNSW plans, 1 to 1000. Default max(100, or 150 under a filter, 2 * (skip + take)): see docs/search.md. */
  efSearch?: number;
  /**
   * recall@10 the HNSW plans aim for, above 0 and at most 1: ef_search comes from the store's
   * calibration of the table (an exact scan when no ef_search reaches it). Default: the store's
   * `recall` option (0.95 unfiltered, 0.99 filtered). Ignored when `efSearch` is given.
   */
  recallTarget?: number;
}

/**
 * Arguments of `prisma.<model>.similaritySearch()`: the query, and Prisma's own `where`,
 * `select`/`include`, `skip` and `take` for the model `T`, with the plan options.
 */
export interface SimilaritySearchArgs<T> extends SearchArgsBase<T>, VectorPlanArgs<T> {
  /** A text (embedded with the embedder of the searched vector's marking) or a vector of its dimensions. */
  query: string | QueryVector;
  /** Only rows with similarity (1 - cosine distance) >= this, from -1 to 1. */
  minSimilarity?: number;
  /**
   * Start at this row of the search's list, as Prisma's `cursor`: the row itself comes first
   * (pass `skip: 1` to start after it). No rows when the row is not in the list. Pages by cursor
   * are the same rows as pages by `skip`; the database finds the row's place each time, so a
   * deep cursor costs what the same `skip` costs.
   *
   * @example
   * ```ts
   * const next = await prisma.annotation.similaritySearch({ query, take: 10, cursor: { id: last.id }, skip: 1 });
   * ```
   */
  cursor?: { id: string | number };
}

/**
 * Arguments of `prisma.<model>.textSearch()` (PostgreSQL full-text search): the query, and
 * Prisma's own `where`, `select`/`include`, `skip` and `take` for the model `T`.
 */
export interface TextSearchArgs<T> extends SearchArgsBase<T> {
  /** Web-search syntax: words, `"a phrase"`, `or`, `-word`. */
  query: string;
}

/** Reciprocal rank fusion (default, k = 60) or a weighted sum of similarity and normalized text rank. */
export type FusionArgs = { type: "rrf"; k?: number } | { type: "weighted"; alpha?: number };

/**
 * Arguments of `prisma.<model>.hybridSearch()`: the query (searched by meaning and by words, the
 * two lists fused), Prisma's own `where`, `select`/`include`, `skip` and `take` for the
 * model `T`, the fusion and the plan options.
 */
export interface HybridSearchArgs<T> extends SearchArgsBase<T>, VectorPlanArgs<T> {
  /** The text for full-text search; also embedded for the vector search unless `vector` is given. */
  query: string;
  /** A precomputed vector of `query`. */
  vector?: QueryVector;
  fusion?: FusionArgs;
  /**
   * Rows taken from each list before fusing, up to 1000; default 60. The fused list (between
   * `candidates` and 2 x `candidates` rows) is what `skip`/`take` page through: raise it to page
   * deeper.
   */
  candidates?: number;
}

/**
 * A row as `findFirstOrThrow` would return it with the same `select`/`include`, minus the
 * write-only payload fields when no `select` is given: every field named `<something>Payload`,
 * the names `/// @embed` gives them by default (`embeddingPayload`, `bodyVectorPayload`). The
 * payload is the one column the write path adds that Prisma's types show. Not omitted from the
 * type, though the rows never carry them: a payload field given another name (`payload: x`),
 * and the payloads of included related rows (a deep omission made the extended client's type
 * too long for TypeScript to write into a declaration file).
 */
export type SearchRow<T, A> = A extends { select: object }
  ? Prisma.Result<T, A, "findFirstOrThrow">
  : Omit<Prisma.Result<T, A, "findFirstOrThrow">, `${string}Payload`>;

/**
 * What a search method's argument must be on a model without an `/// @embed` marking: this
 * text, so the compiler's message says why. Prisma's types do not show `Unsupported` vector
 * fields, so a model counts as marked when it has a payload field (`<vector>Payload`, String?),
 * which every marking needs.
 */
export type NotMarked =
  "This model has no /// @embed marking (no <vector>Payload field): its searches throw SchemaMismatchError. See docs/your-models.md.";

/** `A` on a model that looks marked (see {@link NotMarked}), else `NotMarked`; a type without `fields` counts as marked. */
export type OnMarked<T, A> = T extends { fields: infer F }
  ? [Extract<keyof F, `${string}Payload`>] extends [never]
    ? NotMarked
    : A
  : A;

/**
 * The marked vector fields of the model `T`, read from its payload fields (`bodyVectorPayload`
 * -> `"bodyVector"`: Prisma's types do not show `Unsupported` fields); `string` for a type
 * without `fields`.
 *
 * @example
 * ```ts
 * type ArticleVectors = VectorFieldName<typeof prisma.article>; // "titleVector" | "bodyVector"
 * ```
 */
export type VectorFieldName<T> = T extends { fields: infer F }
  ? { [K in keyof F]: K extends `${infer V}Payload` ? V : never }[keyof F]
  : string;

type IsUnion<U, All = U> = U extends unknown ? ([All] extends [U] ? false : true) : never;

/**
 * `A` on a model with one marked vector; on one with several, `A` that must name the vector
 * field to search (`vectorField`), so a call without it does not compile.
 */
export type OnVector<T, A> =
  true extends IsUnion<VectorFieldName<T>>
    ? A extends { vectorField: string }
      ? A
      : A & { vectorField: VectorFieldName<T> }
    : A;
