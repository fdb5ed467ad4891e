import { HnswState } from "./db/hnsw-state.ts";
import { defaultEmbedder } from "./embed/default-embedder.ts";
import type { Embedder } from "./embed/embedder.ts";
import { DEFAULT_CACHE_BYTES, EmbeddingCache } from "./embed/embedding-cache.ts";
import { InvalidArgumentError } from "./errors.ts";
import { RecallCalibration, type RecallOptions } from "./query/recall-calibration.ts";
import { RowEstimates } from "./query/row-estimates.ts";
import { readAdapterSchema } from "./schema/adapter-schema.ts";
import { readClientMarkings } from "./schema/client-markings.ts";
import { readDataModel } from "./schema/data-model.ts";
import { DEFAULT_EMBEDDER } from "./schema/markings.ts";
import { buildStoreSchema, type StoreSchema } from "./schema/model-meta.ts";
import { BulkLoad, type BulkLoadOptions, bulkLoadOptions, type TransactionClient } from "./write/bulk-load.ts";

/** What every layer of one store (a `hybridStore()` extension or a LlamaIndex store) shares. */
export interface StoreContext {
  readonly schema: StoreSchema;
  /** The default embedder (the `"default"` entry of `embedders`). */
  readonly embedder: Embedder;
  /** Every embedder by the key markings name it with (`embedder: "review"`), `"default"` included. */
  readonly embedders: ReadonlyMap<string, Embedder>;
  readonly cache: EmbeddingCache;
  /** Planner row estimates for the plan choice, reused for a few seconds. */
  readonly estimates: RowEstimates;
  /** Recall targets and per-table ef_search calibration; absent with `recall: false`. */
  readonly recall?: RecallCalibration | undefined;
  /** Which tables have a usable HNSW index (a bulk load drops it for a while). */
  readonly hnsw?: HnswState | undefined;
  /** Drops and rebuilds HNSW indexes around large loads. */
  readonly bulkLoad?: BulkLoad | undefined;
}

/** The options every store takes, with one set of defaults (documented on `HybridStoreOptions`). */
export interface StoreContextOptions {
  readonly embedder?: Embedder | undefined;
  /** Further embedders by key, for markings that name one (`embedder: "review"`). */
  readonly embedders?: Readonly<Record<string, Embedder>> | undefined;
  /** Read the markings of these models only (the LlamaIndex store's); default every model. */
  readonly models?: readonly string[] | undefined;
  readonly dmmf?: unknown;
  readonly cacheSize?: number | undefined;
  readonly cacheBytes?: number | undefined;
  readonly recall?: RecallOptions | false | undefined;
  readonly bulkLoad?: BulkLoadOptions | false | undefined;
}

/** Texts whose vectors a store keeps for reuse, when its options do not say. */
export const DEFAULT_CACHE_SIZE = 1000;

/**
 * Throws an InvalidArgumentError for the first bad option. `hybridStore()` calls it at once, so
 * that a bad option fails where it is written, not at the client's first use.
 */
export function checkStoreContextOptions(options: StoreContextOptions): void {
  const { cacheSize, cacheBytes, recall } = options;
  if (cacheSize !== undefined && !(Number.isInteger(cacheSize) && cacheSize >= 0)) {
    throw new InvalidArgumentError("cacheSize must be a whole number >= 0", [
      { path: ["cacheSize"], message: "expected an integer >= 0" },
    ]);
  }
  if (cacheBytes !== undefined && !(Number.isSafeInteger(cacheBytes) && cacheBytes >= 0)) {
    throw new InvalidArgumentError("cacheBytes must be a whole number >= 0", [
      { path: ["cacheBytes"], message: "expected an integer >= 0" },
    ]);
  }
  bulkLoadOptions(options.bulkLoad);
  checkEmbedders(options.embedders);
  if (recall === undefined || recall === false) return;
  const { unfiltered, filtered, maxAgeMs } = recall;
  for (const [key, value] of Object.entries({ unfiltered, filtered })) {
    if (value !== undefined && !(typeof value === "number" && value > 0 && value <= 1)) {
      throw new InvalidArgumentError(`recall.${key} must be a number above 0 and at most 1`, [
        { path: ["recall", key], message: "expected a number in (0, 1]" },
      ]);
    }
  }
  if (maxAgeMs !== undefined && !(typeof maxAgeMs === "number" && maxAgeMs >= 0 && Number.isFinite(maxAgeMs))) {
    throw new InvalidArgumentError("recall.maxAgeMs must be a finite number >= 0", [
      { path: ["recall", "maxAgeMs"], message: "expected a number >= 0" },
    ]);
  }
}

/**
 * The one place a store's context is built: the client's models (with their `@embed` markings),
 * and the options' defaults.
 */
export function createStoreContext(client: unknown, options: StoreContextOptions = {}): StoreContext {
  checkStoreContextOptions(options);
  const embedder = options.embedder ?? defaultEmbedder();
  const embedders = new Map<string, Embedder>([
    ...Object.entries(options.embedders ?? {}),
    [DEFAULT_EMBEDDER, embedder],
  ]);
  // Markings are checked against the embedders' dimensions: a bad one fails here (InvalidSchemaError).
  const dimensions = new Map([...embedders].map(([key, e]) => [key, e.dimensions]));
  const read = readClientMarkings(client, options.models, dimensions);
  const schema = buildStoreSchema(
    readDataModel(client, options.dmmf),
    readAdapterSchema(client),
    read?.markings,
    read?.models,
  );
  const hnsw = new HnswState();
  const canLoad = typeof (client as Partial<TransactionClient> | null)?.$transaction === "function";
  return {
    schema,
    embedder,
    embedders,
    hnsw,
    bulkLoad: canLoad
      ? new BulkLoad(client as TransactionClient, schema, hnsw, bulkLoadOptions(options.bulkLoad))
      : undefined,
    cache: new EmbeddingCache(options.cacheSize ?? DEFAULT_CACHE_SIZE, options.cacheBytes ?? DEFAULT_CACHE_BYTES),
    estimates: new RowEstimates(),
    recall: options.recall === false ? undefined : new RecallCalibration(options.recall ?? {}),
  };
}

function checkEmbedders(embedders: StoreContextOptions["embedders"]): void {
  if (embedders === undefined) return;
  if (typeof embedders !== "object" || embedders === null || Array.isArray(embedders)) {
    throw new InvalidArgumentError("embedders must be an object of embedders by key", [
      { path: ["embedders"], message: "expected an object" },
    ]);
  }
  for (const [key, e] of Object.entries(embedders)) {
    if (key === DEFAULT_EMBEDDER) {
      throw new InvalidArgumentError(`embedders.${key}: the default embedder is the \`embedder\` option`, [
        { path: ["embedders", key], message: "use the embedder option" },
      ]);
    }
    const ok = typeof e === "object" && e !== null && typeof e.embed === "function";
    if (!ok || !(Number.isInteger(e.dimensions) && e.dimensions > 0) || typeof e.modelId !== "string") {
      throw new InvalidArgumentError(`embedders.${key} must be an Embedder (embed, dimensions, modelId)`, [
        { path: ["embedders", key], message: "expected an Embedder" },
      ]);
    }
  }
}
