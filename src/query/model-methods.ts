import { Prisma } from "@prisma/client/extension";
import type { StoreContext } from "../context.ts";
import { embedderOf } from "../embed/embedder.ts";
import { InvalidArgumentError } from "../errors.ts";
import { fullTextColumn, type ModelMeta, modelOf } from "../schema/model-meta.ts";
import { payloadFields, vectorOf } from "../schema/model-vectors.ts";
import { FilterCache } from "./filter-cache.ts";
import type { HybridScores } from "./hybrid-search.ts";
import { runHybridSearch } from "./hybrid-search.ts";
import { parseWhere } from "./parse-where.ts";
import type { PlanChoice, SearchPlan } from "./plan.ts";
import { resolveQueryVector, validateQueryVector, validateTextQuery } from "./query-vector.ts";
import { withRelations } from "./relation-rows.ts";
import type { SearchClient } from "./run-search.ts";
import { parseHybridArgs, parseSimilarityArgs, parseTextArgs } from "./search-args.ts";
import type {
  HybridSearchArgs,
  OnMarked,
  OnVector,
  SearchRow,
  SimilaritySearchArgs,
  TextSearchArgs,
} from "./search-types.ts";
import type { SimilarityScores } from "./similarity-search.ts";
import { runSimilaritySearch } from "./similarity-search.ts";
import type { TextScores } from "./text-search.ts";
import { runTextSearch } from "./text-search.ts";

/** What `Prisma.getExtensionContext(this)` gives a model method: the delegate and its client. */
export interface ModelContext {
  readonly $parent: SearchClient;
  /** The model's name, as in the schema (`Product`). */
  readonly $name?: string;
  findMany(args: object): PromiseLike<Record<string, unknown>[]>;
}

/** The plan a search ran with and why, from `explainSearch`. */
export interface SearchPlanReport extends SearchPlan {
  /** True when an HNSW plan returned fewer rows than asked and an exact scan ran instead. */
  readonly fellBack: boolean;
}

/**
 * The search methods added to every model (`$allModels`); each finds its model by the delegate's
 * name and throws SchemaMismatchError on a model without an `@embed` marking. Argument and result
 * types come from the caller's own generated client through `Prisma.Args`/`Prisma.Result`.
 */
export function modelMethods(ctx: StoreContext) {
  const filters = new Map<string, FilterCache>();
  const where = (model: ModelMeta, w: unknown) => {
    let cache = filters.get(model.name);
    if (!cache) {
      cache = new FilterCache();
      filters.set(model.name, cache);
    }
    return cache.get(w, (x) => parseWhere(model, ctx.schema, x));
  };
  const payloads = payloadFields(ctx.schema.models.values());
  const target = (self: unknown) => {
    const delegate = Prisma.getExtensionContext(self) as unknown as ModelContext;
    return { delegate, model: modelOf(ctx.schema, delegate.$name ?? "") };
  };

  async function similarity(self: unknown, input: unknown) {
    const { delegate, model: marked } = target(self);
    const args = parseSimilarityArgs(input);
    const model = vectorOf(marked, args.vectorField);
    const filter = where(model, args.where);
    const plan = planChoice(args.exact, args.plan);
    const vector = await resolveQueryVector(ctx, args.query, "query", model.embedder);
    const result = await runSimilaritySearch(delegate.$parent, ctx, model, {
      vector,
      filter,
      take: args.take,
      skip: args.skip,
      cursor: cursorId(model, args.cursor?.id),
      minSimilarity: args.minSimilarity,
      plan,
      efSearch: args.efSearch,
      recallTarget: args.recallTarget,
    });
    const rows = await withRelations(delegate, model, result.rows, args, payloads);
    return { rows, plan: { ...result.plan, fellBack: result.fellBack } };
  }

  return {
    /**
     * Rows nearest to a text or vector by cosine distance, most similar first, with `distance`
     * and `similarity` (= 1 - distance). Rows without a vector never appear.
     *
     * @example
     * ```ts
     * const hits = await prisma.annotation.similaritySearch({
     *   query: "termination clause", where: { document: { label: "contract" } }, take: 5,
     * });
     * ```
     */
    async similaritySearch<T, A extends SimilaritySearchArgs<T>>(
      this: T,
      args: OnMarked<T, OnVector<T, Prisma.Exact<A, SimilaritySearchArgs<T>>>>,
    ): Promise<(SearchRow<T, A> & SimilarityScores)[]> {
      const { rows } = await similarity(this, args);
      return rows as (SearchRow<T, A> & SimilarityScores)[];
    },

    /**
     * `similaritySearch`, plus which plan ran (exact scan, HNSW, HNSW with iterative scan) and why.
     *
     * @example
     * ```ts
     * const { rows, plan } = await prisma.annotation.explainSearch({ query: "cats", where: { label: "x" } });
     * console.log(plan.kind, plan.reason);
     * ```
     */
    async explainSearch<T, A extends SimilaritySearchArgs<T>>(
      this: T,
      args: OnMarked<T, OnVector<T, Prisma.Exact<A, SimilaritySearchArgs<T>>>>,
    ): Promise<{ rows: (SearchRow<T, A> & SimilarityScores)[]; plan: SearchPlanReport }> {
      const { rows, plan } = await similarity(this, args);
      return { rows: rows as (SearchRow<T, A> & SimilarityScores)[], plan };
    },

    /**
     * Full-text search (`websearch_to_tsquery('english', query)` over the generated
     * `searchVector`), best `rank` (`ts_rank_cd`) first.
     *
     * @example
     * ```ts
     * const hits = await prisma.document.textSearch({ query: '"notice period" -draft', take: 10 });
     * ```
     */
    async textSearch<T, A extends TextSearchArgs<T>>(
      this: T,
      args: OnMarked<T, Prisma.Exact<A, TextSearchArgs<T>>>,
    ): Promise<(SearchRow<T, A> & TextScores)[]> {
      const { delegate, model } = target(this);
      const a = parseTextArgs(args);
      const filter = where(model, a.where);
      const query = validateTextQuery(a.query);
      const rows = await runTextSearch(delegate.$parent, ctx, model, { query, filter, take: a.take, skip: a.skip });
      return (await withRelations(delegate, model, rows, a, payloads)) as (SearchRow<T, A> & TextScores)[];
    },

    /**
     * Vector and full-text search fused in one statement (RRF by default), best `score` first,
     * with each row's rank in both lists.
     *
     * @example
     * ```ts
     * const hits = await prisma.annotation.hybridSearch({ query: "notice period", fusion: { type: "rrf" } });
     * ```
     */
    async hybridSearch<T, A extends HybridSearchArgs<T>>(
      this: T,
      args: OnMarked<T, OnVector<T, Prisma.Exact<A, HybridSearchArgs<T>>>>,
    ): Promise<(SearchRow<T, A> & HybridScores)[]> {
      const { delegate, model: marked } = target(this);
      const a = parseHybridArgs(args);
      const model = vectorOf(marked, a.vectorField);
      fullTextColumn(model); // before the query text is embedded
      const filter = where(model, a.where);
      const text = validateTextQuery(a.query);
      const plan = planChoice(a.exact, a.plan);
      const vector =
        a.vector === undefined
          ? await resolveQueryVector(ctx, text, "query", model.embedder)
          : validateQueryVector({ embedder: embedderOf(ctx, model) }, a.vector, "vector");
      const { rows } = await runHybridSearch(delegate.$parent, ctx, model, {
        text,
        vector,
        filter,
        take: a.take,
        skip: a.skip,
        candidates: a.candidates,
        fusion: a.fusion,
        plan,
        efSearch: a.efSearch,
        recallTarget: a.recallTarget,
      });
      return (await withRelations(delegate, model, rows, a, payloads)) as (SearchRow<T, A> & HybridScores)[];
    },
  };
}

/** The cursor's id as the model's id type: a string for String ids, an integer for Int/BigInt ones. */
function cursorId(model: ModelMeta, id: string | number | undefined): string | number | undefined {
  if (id === undefined) return undefined;
  const numeric = model.idField.type === "Int" || model.idField.type === "BigInt";
  const ok = numeric
    ? typeof id === "number" || (model.idField.type === "BigInt" && /^-?\d+$/.test(id))
    : typeof id === "string";
  if (ok) return id;
  const expected = numeric ? "an integer" : "a string";
  throw new InvalidArgumentError(`cursor.id must be ${expected}, the type of ${model.name}.${model.idField.name}`, [
    { path: ["cursor", "id"], message: `expected ${expected}, received ${typeof id}` },
  ]);
}

function planChoice(exact: boolean | undefined, plan: PlanChoice): PlanChoice {
  if (exact === true && plan === "hnsw") {
    throw new InvalidArgumentError('exact: true contradicts plan: "hnsw"', [
      { path: ["exact"], message: 'contradicts plan "hnsw"' },
    ]);
  }
  return exact === true ? "exact" : plan;
}
