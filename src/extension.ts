import { Prisma } from "@prisma/client/extension";
import { isOutsideTransaction } from "./compat/prisma-client.ts";
import { checkStoreContextOptions, createStoreContext } from "./context.ts";
import { connectionFailure } from "./db/connect.ts";
import { type RawClient, toHybridStoreError } from "./db/execute.ts";
import type { Embedder } from "./embed/embedder.ts";
import { InvalidArgumentError } from "./errors.ts";
import { modelMethods } from "./query/model-methods.ts";
import type { RecallOptions } from "./query/recall-calibration.ts";
import { readClientDefaults } from "./schema/client-defaults.ts";
import type { ModelName, StoreSchema } from "./schema/model-meta.ts";
import { BulkCreate } from "./write/bulk-create.ts";
import type { BulkLoadOptions } from "./write/bulk-load.ts";
import { checkModelNames, type ReembedOptions, type ReembedResult, reembed } from "./write/reembed.ts";
import { attachEmbeddings } from "./write/save-hook.ts";

/** Options for {@link hybridStore}. */
export interface HybridStoreOptions {
  /** The model that embeds texts on save and search queries. Default: all-MiniLM-L6-v2. */
  embedder?: Embedder;
  /**
   * Further embedders by key, for `/// @embed(..., embedder: "key")` markings: such a field is
   * embedded, and searched, with its own embedder. Each one's dimensions must be its fields'
   * `vector(N)` (checked at `$extends`).
   *
   * @example
   * ```ts
   * prisma.$extends(hybridStore({ embedders: { review: myReviewEmbedder } }));
   * ```
   */
  embedders?: Readonly<Record<string, Embedder>>;
  /** `Prisma.dmmf`, for clients made by the `prisma-client-js` generator. Optional. */
  dmmf?: unknown;
  /** Texts whose vectors the process keeps for reuse (identical texts embed once). Default 1000. */
  cacheSize?: number;
  /**
   * Bytes that cache may take: each entry counts its vector (8 bytes a number), a 44-character
   * hash of its text (never the text itself) and a fixed overhead. Default 16 MiB.
   */
  cacheBytes?: number;
  /**
   * Write `createMany` batches made of plain values, outside a transaction, as one
   * `INSERT ... SELECT * FROM unnest(...)` instead of through Prisma's `createMany`: the same
   * rows and the same `{ count }`, with much less client time per row (Prisma's query compiler
   * works through every vector). Likewise a `document.create` with plain nested
   * `annotations: { create }`: one statement for the document and its annotations, returning the
   * row (or read back by Prisma with the call's select/include/omit). Anything else, and any batch the database rejects, still goes
   * through Prisma's `createMany`, so its errors are Prisma's. Default true; set false when a
   * query extension or Prisma's query log must see each `createMany` as Prisma runs it.
   */
  fastCreateMany?: boolean;
  /**
   * The recall@10 HNSW searches aim for, and how often to measure it. The store measures the
   * recall its index reaches on each table's own rows (a few sampled rows against exact scans,
   * the first time a search would use the index, again after `maxAgeMs` or when the row count
   * moved by 20%) and picks `ef_search` from that, or an exact scan when no ef_search reaches
   * the target. Default `{ unfiltered: 0.95, filtered: 0.99, maxAgeMs: 600_000 }`; `false` turns
   * calibration off (fixed ef_search defaults). See docs/search.md, "Recall calibration".
   */
  recall?: RecallOptions | false;
  /**
   * Large loads drop a table's HNSW index and build it once at the end, several times faster
   * than growing the graph row by row (docs/concepts.md, "Bulk loads"). A `createMany` made
   * outside a transaction does so when it writes at least `minRows` rows (default 10,000) and
   * at least `share` x the rows already in the table (default 0.25); `$bulkLoad` always does.
   * Searches stay exact meanwhile. `false`: every load keeps the index (no DDL at all).
   */
  bulkLoad?: BulkLoadOptions | false;
}

/** Options for `prisma.$bulkLoad()`; `M`, the client's model names (typed from the client). */
export interface BulkLoadScopeOptions<M extends string = ModelName> {
  /** The marked models whose HNSW index waits for the end of the load. Default every one. */
  models?: readonly M[];
  /**
   * About how many rows the load writes: then the index is dropped only when the store's
   * `bulkLoad` thresholds say the load is large. Omitted: always dropped.
   */
  rows?: number;
}

/**
 * The model names of a Prisma client type, from its delegates (`product` -> `"Product"`): what
 * `models` of `$reembed`/`$bulkLoad` may name (a name of a model without a marking still fails
 * at run time). `string` for a type without delegates.
 */
export type ClientModelName<C> = OrString<
  {
    [K in keyof C]: K extends `$${string}`
      ? never
      : C[K] extends { findMany: (...args: never[]) => unknown }
        ? Capitalize<K & string>
        : never;
  }[keyof C]
>;
/** A client type without delegates (a caller's own narrower interface): any name. */
type OrString<N> = [N] extends [never] ? string : N;

/** The methods `hybridStore()` adds to the client. */
export interface HybridStoreClientMethods {
  /**
   * Embeds rows with no vector, or a vector from another model. Resumable.
   *
   * @example
   * ```ts
   * await prisma.$reembed({ onProgress: (p) => console.log(p.model, p.done, "/", p.total) });
   * ```
   */
  $reembed<C>(this: C, options?: ReembedOptions<ClientModelName<C>>): Promise<ReembedResult<ClientModelName<C>>>;
  /**
   * Runs `load` with the HNSW indexes dropped, then builds each once from its own definition
   * (also when `load` throws). For a stream of `createMany` batches too small to trigger it
   * alone. Searches meanwhile are exact scans.
   *
   * @example
   * ```ts
   * await prisma.$bulkLoad(async () => {
   *   for (const batch of batches) await prisma.annotation.createMany({ data: batch });
   * });
   * ```
   */
  $bulkLoad<C, T>(this: C, load: () => Promise<T>, options?: BulkLoadScopeOptions<ClientModelName<C>>): Promise<T>;
}

/** Prisma's extension-args shape: every method behind a thunk. */
type Thunks<T> = { [K in keyof T]: () => T[K] };
type StoreModelMethods = Thunks<ReturnType<typeof modelMethods>>;

/**
 * What `hybridStore()` returns; pass it to `$extends`. Spelled out (structurally Prisma's
 * `InternalArgs`) because the inferred type names `@prisma/client/runtime/library`, a module
 * Prisma 7 no longer has: there the extended client became `any`, or a compile error without
 * skipLibCheck. Only our own types and `@prisma/client/extension` may appear in the .d.ts.
 */
export type HybridStoreExtension = (client: unknown) => {
  $extends: {
    extArgs: {
      result: Record<never, never>;
      model: { $allModels: StoreModelMethods };
      query: Record<never, never>;
      client: Thunks<HybridStoreClientMethods>;
    };
  };
};

/**
 * The Prisma client extension: on every model whose vector field carries an `/// @embed`
 * marking (docs/your-models.md; the bundled `Document` and `Annotation` are marked so), embeds the
 * marked text on every write (in the same statement, so in the same transaction) and adds the
 * search methods. Calling a search method on an unmarked model throws SchemaMismatchError.
 *
 * @example
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(hybridStore());
 * await prisma.document.create({ data: { content: "Cats sleep a lot." } }); // embedded on save
 * ```
 *
 * A `/// @embed(...)` marking on a model's vector field (docs/your-models.md) names the field
 * that is embedded; `$extends` throws InvalidSchemaError for a bad marking, or an embedder whose
 * dimensions differ from the marked `vector(N)`.
 */
export function hybridStore(options: HybridStoreOptions = {}): HybridStoreExtension {
  checkStoreContextOptions(options);
  return Prisma.defineExtension((client) => {
    const ctx = createStoreContext(client, options);
    const { schema } = ctx;
    // Every Prisma client has $transaction, so the extension's context always has a BulkLoad.
    const bulkLoad = ctx.bulkLoad!;
    const defaults = options.fastCreateMany === false ? undefined : readClientDefaults(client);
    const bulk = defaults && new BulkCreate(client as unknown as RawClient, schema, defaults);
    // The plain client's delegate reads a fast nested create back with Prisma's own result shaping.
    const documents = (client as unknown as { document: { findUniqueOrThrow(args: object): Promise<unknown> } })
      .document;
    const writes = modelsReaching(schema);
    const hook = async <A>({ model, operation, args, query, __internalParams }: QueryHookParams<A>) => {
      if (model === undefined || !writes.has(model)) return query(args);
      await attachEmbeddings(ctx, model, operation, args);
      const marked = schema.models.has(model);
      try {
        if (
          model === "Document" &&
          schema.hasBundledPair &&
          operation === "create" &&
          bulk &&
          isOutsideTransaction(__internalParams)
        ) {
          const written = await bulk.createNested(args, (id, shape) =>
            documents.findUniqueOrThrow({ where: { id }, ...shape }),
          );
          if (written) return written.value;
        }
        if (marked && CREATE_MANY.has(operation) && isOutsideTransaction(__internalParams)) {
          return await bulkLoad.around([model], rowCount(args), async () => {
            const count = operation === "createMany" && bulk ? await bulk.run(model, args) : undefined;
            return count === undefined ? await query(args) : { count };
          });
        }
        return await query(args);
      } catch (error) {
        // Prisma's own errors (unique constraint, not found) stay as they are; an unreachable
        // database becomes the same typed error the searches throw, and a database error Prisma
        // passes through unmapped (a DriverAdapterError, e.g. a text whose tsvector is over 1 MB)
        // a QueryError.
        const unavailable = connectionFailure(error);
        if (unavailable) throw unavailable;
        throw error instanceof Error && error.name === "DriverAdapterError" ? toHybridStoreError(error) : error;
      }
    };
    return client.$extends({
      name: "prisma-hybrid-store",
      query: { $allModels: { $allOperations: hook } },
      model: { $allModels: modelMethods(ctx) },
      client: {
        /** Documented on {@link HybridStoreClientMethods}, the type users see. */
        $reembed(options?: ReembedOptions): Promise<ReembedResult> {
          return reembed(Prisma.getExtensionContext(this) as unknown as RawClient, ctx, options);
        },
        /** Documented on {@link HybridStoreClientMethods}. */
        async $bulkLoad<T>(load: () => Promise<T>, options: BulkLoadScopeOptions = {}): Promise<T> {
          const { models, rows } = validScope(options, ctx.schema);
          if (typeof load !== "function") {
            throw new InvalidArgumentError("$bulkLoad takes a function", [
              { path: [], message: "expected a function" },
            ]);
          }
          return bulkLoad.around(models, rows, load);
        },
      },
    });
  });
}

const CREATE_MANY = new Set(["createMany", "createManyAndReturn"]);

function rowCount(args: unknown): number {
  const data = (args as { data?: unknown } | null)?.data;
  return Array.isArray(data) ? data.length : 1;
}

/** The models whose writes can reach a marked model's rows: marked ones and those related to one. */
function modelsReaching(schema: StoreSchema): Set<string> {
  const reach = new Set(schema.models.keys());
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, fields] of schema.relations) {
      if (reach.has(name)) continue;
      if ([...fields.values()].some((r) => reach.has(r.target))) {
        reach.add(name);
        grew = true;
      }
    }
  }
  return reach;
}

function validScope(
  options: BulkLoadScopeOptions,
  schema: StoreSchema,
): { models: readonly ModelName[]; rows: number | undefined } {
  const { rows } = options;
  const models = checkModelNames(options.models, [...schema.models.keys()]);
  if (rows !== undefined && !(Number.isSafeInteger(rows) && rows >= 0)) {
    throw new InvalidArgumentError("rows must be a whole number >= 0", [
      { path: ["rows"], message: "expected an integer >= 0" },
    ]);
  }
  return { models, rows };
}

/**
 * Marks a caller-computed vector for the save hook, typed so it spreads into Prisma's `data`.
 *
 * @example
 * ```ts
 * await prisma.annotation.create({ data: { rawText, documentId, ...withEmbedding(vector) } });
 * ```
 */
export function withEmbedding(vector: readonly number[] | Float32Array): Record<never, never> {
  return { embedding: vector };
}

interface QueryHookParams<A> {
  /** Undefined for raw queries ($queryRaw), which no model hook sees. */
  model?: string;
  operation: string;
  args: A;
  query: (args: A) => Promise<unknown>;
  /** Undocumented; Prisma 6 and 7 pass the request here, with its `transaction` if any. */
  __internalParams?: unknown;
}
