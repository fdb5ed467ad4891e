import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { Settings } from "@llamaindex/core/global";
import { createStoreContext, type StoreContext } from "../context.ts";
import type { Embedder } from "../embed/embedder.ts";
import { validateText } from "../embed/text.ts";
import type { ValidationIssue } from "../errors.ts";
import { DimensionMismatchError, formatIssue, InvalidArgumentError } from "../errors.ts";
import type { FilterNode } from "../query/filter-nodes.ts";
import { and, compare, like } from "../query/filter-nodes.ts";
import type { SearchClient } from "../query/run-search.ts";
import { BUNDLED_MODELS, VECTOR_DIMENSIONS } from "../schema/model-meta.ts";
import type { BulkLoadOptions } from "../write/bulk-load.ts";
import { isEmbedder, MiniLmEmbedding } from "./minilm-embedding.ts";

/**
 * The raw-SQL surface the store needs; every Prisma client has it (6 or 7, base or extended,
 * or an interactive-transaction client, where writes join the caller's transaction).
 */
export interface PrismaLikeClient {
  /** Runs a parameterized query (`$1`, `$2`, ...) and resolves to its rows. */
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  /** Runs a parameterized statement and resolves to the number of rows it changed. */
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Options of `PrismaHybridVectorStore`.
 *
 * @example
 * ```ts
 * const options: PrismaHybridVectorStoreOptions<typeof prisma> = { prisma, documentId: "doc-1" };
 * ```
 */
export interface PrismaHybridVectorStoreOptions<C extends PrismaLikeClient = PrismaLikeClient> {
  /** Any Prisma client whose schema has the Document and Annotation models. */
  prisma: C;
  /**
   * Embeds nodes that arrive without an embedding, and `queryStr` when a query has no
   * `queryEmbedding`. Default: the embedder of `embedModel` (or of `Settings.embedModel`) when it
   * is a `MiniLmEmbedding`, any other LlamaIndex embedding as is, else `defaultEmbedder()`.
   */
  embedder?: Embedder;
  /** LlamaIndex's embedding for this store (`vectorStore.embedModel`). Default: `Settings.embedModel` if set, else a `MiniLmEmbedding` of `embedder`. */
  embedModel?: BaseEmbedding;
  /** Restricts every query to the chunks of this Document (ref doc) id. Writes are not restricted. */
  documentId?: string;
  /** Restricts every query to chunks whose text contains this text (case-insensitive, literally: `%` and `_` are not wildcards). */
  mustHaveText?: string;
  /** `Prisma.dmmf`, for clients made by the `prisma-client-js` generator. */
  dmmf?: unknown;
  /**
   * When `add()` drops the Annotation HNSW index and builds it once at the end (as
   * `hybridStore({ bulkLoad })`; default 10,000 nodes and 0.25 x the table's rows); `false`:
   * never. Only with a client that can open transactions (not an interactive-transaction client).
   */
  bulkLoad?: BulkLoadOptions | false;
}

const KNOWN = new Set(["prisma", "embedder", "embedModel", "documentId", "mustHaveText", "dmmf", "bulkLoad"]);

/** What the store keeps from its options. */
export interface ResolvedStore<C> {
  readonly client: C;
  readonly ctx: StoreContext;
  readonly embedModel: BaseEmbedding;
  /** `documentId` and `mustHaveText` as a filter, ANDed into every query. */
  readonly scope: FilterNode;
}

/** Checks the options (all problems at once) and reads the client's schema. */
export function resolveStoreOptions<C extends PrismaLikeClient>(
  options: PrismaHybridVectorStoreOptions<C>,
): ResolvedStore<C> {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("PrismaHybridVectorStore needs an options object: { prisma, ... }");
  }
  const issues: ValidationIssue[] = [];
  const issue = (key: string, message: string) => issues.push({ path: [key], message });
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) issue(key, "unknown option");
  const client = options.prisma as C & SearchClient;
  if (typeof client?.$queryRawUnsafe !== "function" || typeof client?.$executeRawUnsafe !== "function") {
    issue("prisma", "expected a Prisma client (with $queryRawUnsafe and $executeRawUnsafe)");
  }
  if (options.embedder !== undefined && !isEmbedder(options.embedder)) {
    issue("embedder", "expected an Embedder ({ modelId, dimensions, embed(texts) })");
  }
  if (options.embedModel !== undefined && !(options.embedModel instanceof BaseEmbedding)) {
    issue("embedModel", "expected a LlamaIndex BaseEmbedding");
  }
  const text = (key: "documentId" | "mustHaveText") => {
    const value: unknown = options[key];
    if (value === undefined) return undefined;
    if (typeof value === "string" && value.length > 0) {
      try {
        validateText(value, key);
        return value;
      } catch (error) {
        if (error instanceof InvalidArgumentError) issues.push(...error.issues);
        return undefined;
      }
    }
    issue(key, `expected a non-empty string, received ${value === null ? "null" : typeof value}`);
    return undefined;
  };
  const documentId = text("documentId");
  const mustHaveText = text("mustHaveText");
  if (issues.length > 0) {
    throw new InvalidArgumentError(
      `Invalid PrismaHybridVectorStore options: ${issues.map(formatIssue).join("; ")}`,
      issues,
    );
  }

  const { embedder, embedModel } = resolveEmbedding(options.embedder, options.embedModel);
  // The store's tables are the bundled pair: other models' markings (and their embedders) are not its concern.
  const ctx = createStoreContext(client, {
    embedder,
    dmmf: options.dmmf,
    bulkLoad: options.bulkLoad,
    models: BUNDLED_MODELS,
  });
  const schema = ctx.schema;
  const scope = and(
    ...(documentId === undefined ? [] : [compare(schema.documentForeignKey, "=", documentId)]),
    ...(mustHaveText === undefined ? [] : [like(schema.Annotation.textField, "contains", mustHaveText, true)]),
  );
  return {
    client,
    ctx,
    embedModel,
    scope,
  };
}

/**
 * One model for nodes, queries and LlamaIndex: see {@link PrismaHybridVectorStoreOptions.embedder}.
 * A model of another size than the columns is refused here: its vectors could never be stored,
 * and a query with one would find nothing rather than fail.
 */
function resolveEmbedding(embedder: Embedder | undefined, explicit: BaseEmbedding | undefined) {
  const resolved = (() => {
    if (embedder) return { embedder, embedModel: explicit ?? new MiniLmEmbedding(embedder) };
    const embedModel = explicit ?? settingsEmbedModel() ?? new MiniLmEmbedding();
    return {
      embedModel,
      embedder: embedModel instanceof MiniLmEmbedding ? embedModel.embedder : fromEmbedding(embedModel),
    };
  })();
  const declared = resolved.embedModel.embedInfo?.dimensions ?? resolved.embedder.dimensions;
  for (const dimensions of [resolved.embedder.dimensions, declared]) {
    if (dimensions !== VECTOR_DIMENSIONS) {
      throw new DimensionMismatchError(
        VECTOR_DIMENSIONS,
        dimensions,
        `The store's embedding model makes ${dimensions}-dimensional vectors, but the embedding columns ` +
          `hold ${VECTOR_DIMENSIONS}: use a ${VECTOR_DIMENSIONS}-dimensional model (embedder / embedModel).`,
      );
    }
  }
  return resolved;
}

/** `Settings.embedModel` throws when nothing was set. */
function settingsEmbedModel(): BaseEmbedding | undefined {
  try {
    return Settings.embedModel;
  } catch {
    return undefined;
  }
}

/** Any LlamaIndex embedding as an {@link Embedder}: its vectors are what LlamaIndex stores and queries with. */
function fromEmbedding(model: BaseEmbedding): Embedder {
  const name = (model as { model?: unknown }).model;
  return {
    modelId: typeof name === "string" ? name : `llamaindex:${model.constructor.name}`,
    // A model that declares no size is held to the columns': its vectors are validated on use.
    dimensions: model.embedInfo?.dimensions ?? VECTOR_DIMENSIONS,
    embed: (texts) => model.getTextEmbeddingsBatch([...texts]),
  };
}
