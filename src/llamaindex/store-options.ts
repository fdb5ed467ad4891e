import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { Settings } from "@llamaindex/core/global";
import { clientSchemaText } from "../compat/prisma-client.ts";
import { createStoreContext, type StoreContext } from "../context.ts";
import type { RawClient } from "../db/execute.ts";
import type { Embedder } from "../embed/embedder.ts";
import { validateText } from "../embed/text.ts";
import type { ValidationIssue } from "../errors.ts";
import {
  DimensionMismatchError,
  formatIssue,
  InvalidArgumentError,
  InvalidSchemaError,
  SchemaMismatchError,
} from "../errors.ts";
import type { FilterNode } from "../query/filter-nodes.ts";
import { and, compare, like } from "../query/filter-nodes.ts";
import type { SearchClient } from "../query/run-search.ts";
import { DEFAULT_EMBEDDER, readMarkings } from "../schema/markings.ts";
import { VECTOR_DIMENSIONS } from "../schema/model-meta.ts";
import { schemaModels } from "../schema/schema-models.ts";
import type { BulkLoadOptions } from "../write/bulk-load.ts";
import { isEmbedder, MiniLmEmbedding } from "./minilm-embedding.ts";
import { resolveStoreModels, type StoreModels } from "./store-models.ts";

/**
 * The raw-SQL surface the store needs; every Prisma client has it (6 or 7, base or extended,
 * or an interactive-transaction client, where writes join the caller's transaction).
 */
export type PrismaLikeClient = RawClient;

/**
 * Options of `PrismaHybridVectorStore`.
 *
 * @example
 * ```ts
 * const options: PrismaHybridVectorStoreOptions<typeof prisma> = { prisma, documentId: "doc-1" };
 * const passages: PrismaHybridVectorStoreOptions<typeof prisma> = { prisma, nodeModel: "Passage", embedder: wide };
 * ```
 */
export interface PrismaHybridVectorStoreOptions<C extends PrismaLikeClient = PrismaLikeClient> {
  /** Any Prisma client whose schema has the node and ref doc models (by default Annotation and Document). */
  prisma: C;
  /**
   * The model that holds nodes (as PGVectorStore's `tableName`); its `@@map`, `@map` and
   * `@@schema` are followed. It must carry an `/// @embed` marking (whose vector's dimensions
   * the embedder must make), a String `@id`, a String foreign key to the ref doc model and a Json
   * field for metadata. Default `"Annotation"`.
   */
  nodeModel?: string;
  /**
   * The model that holds ref docs (source documents): the one the node model's relation points
   * to. Needed only when the node model has several such relations. It must have a String `@id`.
   */
  refDocModel?: string;
  /**
   * The node model's field that holds a node's text: one of the fields its `@embed(from: ...)`
   * embeds. Needed only when the marking embeds several.
   */
  textField?: string;
  /**
   * The node model's Json field that holds a node's metadata (and what LlamaIndex needs to
   * rebuild the node). Default: the field `metadata`, else the model's only Json field.
   */
  metadataField?: string;
  /**
   * Embeds nodes that arrive without an embedding, and `queryStr` when a query has no
   * `queryEmbedding`. Default: the embedder of `embedModel` (or of `Settings.embedModel`) when it
   * is a `MiniLmEmbedding`, any other LlamaIndex embedding as is, else `defaultEmbedder()`.
   */
  embedder?: Embedder;
  /** LlamaIndex's embedding for this store (`vectorStore.embedModel`). Default: `Settings.embedModel` if set, else a `MiniLmEmbedding` of `embedder`. */
  embedModel?: BaseEmbedding;
  /** Restricts every query to the nodes of this ref doc id. Writes are not restricted. */
  documentId?: string;
  /** Restricts every query to chunks whose text contains this text (case-insensitive, literally: `%` and `_` are not wildcards). */
  mustHaveText?: string;
  /** `Prisma.dmmf`, for clients made by the `prisma-client-js` generator. */
  dmmf?: unknown;
  /**
   * When `add()` drops the node model's HNSW index and builds it once at the end (as
   * `hybridStore({ bulkLoad })`; default 10,000 nodes and 0.25 x the table's rows); `false`:
   * never. Only with a client that can open transactions (not an interactive-transaction client).
   */
  bulkLoad?: BulkLoadOptions | false;
}

const KNOWN = new Set([
  "prisma",
  "nodeModel",
  "refDocModel",
  "textField",
  "metadataField",
  "embedder",
  "embedModel",
  "documentId",
  "mustHaveText",
  "dmmf",
  "bulkLoad",
]);

/** What the store keeps from its options. */
export interface ResolvedStore<C> {
  readonly client: C;
  readonly ctx: StoreContext;
  readonly models: StoreModels;
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
  const text = (key: "documentId" | "mustHaveText" | "nodeModel" | "refDocModel" | "textField" | "metadataField") => {
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
  const names = {
    nodeModel: text("nodeModel") ?? "Annotation",
    refDocModel: text("refDocModel"),
    textField: text("textField"),
    metadataField: text("metadataField"),
  };
  if (issues.length > 0) {
    throw new InvalidArgumentError(
      `Invalid PrismaHybridVectorStore options: ${issues.map(formatIssue).join("; ")}`,
      issues,
    );
  }

  const schemaText = clientSchemaText(client);
  const vector = nodeVector(schemaText, names.nodeModel);
  const { embedder, embedModel } = resolveEmbedding(options.embedder, options.embedModel, vector.dimensions);
  // Only the node model's marking is read against the store's one embedder, under its own key.
  const ctx = createStoreContext(client, {
    embedder,
    embedders: vector.embedder === DEFAULT_EMBEDDER ? undefined : { [vector.embedder]: embedder },
    dmmf: options.dmmf,
    bulkLoad: options.bulkLoad,
    models: [names.nodeModel],
  });
  const models = resolveStoreModels(ctx.schema, schemaText, names);
  const scope = and(
    ...(documentId === undefined ? [] : [compare(models.nodes.refDocKey, "=", documentId)]),
    ...(mustHaveText === undefined ? [] : [like(models.nodes.text, "contains", mustHaveText, true)]),
  );
  return { client, ctx, models, embedModel, scope };
}

/**
 * The node model's vector: its marking's dimensions and embedder key, read whatever the embedder
 * (the store checks the dimensions itself, as a DimensionMismatchError). An unmarked bundled
 * Annotation (a schema from before markings, or a client without schema text) has the bundled
 * `vector(384)`.
 *
 * @throws InvalidSchemaError for a marking that cannot be followed; SchemaMismatchError for a
 *   model the client lacks, that has no marking, or that has several.
 */
function nodeVector(schemaText: string | undefined, model: string): { dimensions: number; embedder: string } {
  const bundled = { dimensions: VECTOR_DIMENSIONS, embedder: DEFAULT_EMBEDDER };
  if (schemaText === undefined) {
    if (model === "Annotation") return bundled;
    throw new SchemaMismatchError(
      `nodeModel "${model}": this Prisma client carries no schema text to read its /// @embed marking from (Prisma 6.16+ does).`,
    );
  }
  const { markings, issues } = readMarkings(schemaText, new Map(), { models: [model], anyEmbedder: true });
  if (issues.length > 0) throw new InvalidSchemaError(issues);
  const [marking] = markings;
  if (markings.length > 1) {
    const fields = markings.map((m) => m.field).join(", ");
    throw new SchemaMismatchError(
      `nodeModel "${model}" marks ${markings.length} vector fields (${fields}): the LlamaIndex store writes and ` +
        "searches one vector per node, so its node model needs exactly one /// @embed marking.",
    );
  }
  if (marking) return { dimensions: marking.dimensions, embedder: marking.embedder };
  if (model === "Annotation") return bundled;
  throw new SchemaMismatchError(
    schemaModels(schemaText).some((m) => m.name === model)
      ? `nodeModel "${model}" has no /// @embed marking: mark its vector field (docs/your-models.md) and regenerate the client.`
      : `nodeModel: the Prisma client has no model "${model}".`,
  );
}

/**
 * One model for nodes, queries and LlamaIndex: see {@link PrismaHybridVectorStoreOptions.embedder}.
 * A model of another size than the node model's vector is refused here: its vectors could never
 * be stored, and a query with one would find nothing rather than fail.
 */
function resolveEmbedding(embedder: Embedder | undefined, explicit: BaseEmbedding | undefined, columns: number) {
  const resolved = (() => {
    if (embedder) return { embedder, embedModel: explicit ?? new MiniLmEmbedding(embedder) };
    const embedModel = explicit ?? settingsEmbedModel() ?? new MiniLmEmbedding();
    return {
      embedModel,
      embedder: embedModel instanceof MiniLmEmbedding ? embedModel.embedder : fromEmbedding(embedModel, columns),
    };
  })();
  const declared = resolved.embedModel.embedInfo?.dimensions ?? resolved.embedder.dimensions;
  for (const dimensions of [resolved.embedder.dimensions, declared]) {
    if (dimensions !== columns) {
      throw new DimensionMismatchError(
        columns,
        dimensions,
        `The store's embedding model makes ${dimensions}-dimensional vectors, but the node model's vector column ` +
          `holds ${columns}: use a ${columns}-dimensional model (embedder / embedModel).`,
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
function fromEmbedding(model: BaseEmbedding, columns: number): Embedder {
  const name = (model as { model?: unknown }).model;
  return {
    modelId: typeof name === "string" ? name : `llamaindex:${model.constructor.name}`,
    // A model that declares no size is held to the columns': its vectors are validated on use.
    dimensions: model.embedInfo?.dimensions ?? columns,
    embed: (texts) => model.getTextEmbeddingsBatch([...texts]),
  };
}
