import type { BaseNode } from "@llamaindex/core/schema";
import type { VectorStoreQueryResult } from "@llamaindex/core/vector-store";
import { BaseVectorStore } from "@llamaindex/core/vector-store";
import { countSentChars, releaseDebugHistoryIfDue } from "../compat/prisma-debug-history.ts";
import type { StoreContext } from "../context.ts";
import { toHybridStoreError } from "../db/execute.ts";
import { embedUnique } from "../embed/embed-unique.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { FilterNode } from "../query/filter-nodes.ts";
import type { SearchClient } from "../query/run-search.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { vectorToSql } from "../sql/vector-text.ts";
import type { NodeRow, RefDocRow } from "./node-rows.ts";
import { nodeToRow, refDocRow } from "./node-rows.ts";
import type { HybridVectorStoreQuery } from "./run-query.ts";
import { runQuery } from "./run-query.ts";
import type { StoreModels } from "./store-models.ts";
import type { PrismaHybridVectorStoreOptions, PrismaLikeClient } from "./store-options.ts";
import { resolveStoreOptions } from "./store-options.ts";
import { deleteNodes, deleteRefDoc, insertRefDocs, upsertNodes } from "./store-sql.ts";

/** Texts per embedder call when `add` embeds nodes itself. */
const EMBED_BATCH = 256;

/**
 * A LlamaIndex.TS vector store on Prisma + PostgreSQL/pgvector: nodes are rows of a marked model
 * (`nodeModel`, default Annotation), their ref docs rows of the model it relates to (default
 * Document), written with raw SQL through the given client and found with the library's vector,
 * full-text and hybrid searches. Rows written through Prisma are read too.
 *
 * @example
 * ```ts
 * import { Settings, VectorStoreIndex } from "llamaindex";
 * import { MiniLmEmbedding, PrismaHybridVectorStore } from "prisma-hybrid-store/llamaindex";
 * Settings.embedModel = new MiniLmEmbedding();
 * const store = new PrismaHybridVectorStore({ prisma });
 * const index = await VectorStoreIndex.fromVectorStore(store);
 * const hits = await index.asRetriever({ similarityTopK: 3 }).retrieve({ query: "notice period" });
 * // Your own models: nodes in Passage (marked `/// @embed(from: content)`), ref docs in the model it relates to.
 * const passages = new PrismaHybridVectorStore({ prisma, nodeModel: "Passage" });
 * ```
 */
export class PrismaHybridVectorStore<C extends PrismaLikeClient = PrismaLikeClient> extends BaseVectorStore<C> {
  /** Text lives in the node model's text field, so LlamaIndex needs no document store to rebuild nodes. */
  storesText = true;
  readonly #client: C & SearchClient;
  readonly #ctx: StoreContext;
  readonly #models: StoreModels;
  readonly #scope: FilterNode;

  /**
   * @throws InvalidArgumentError for bad options; SchemaMismatchError for models the store cannot
   *   use (naming each field); DimensionMismatchError for an embedder of another size than the
   *   node model's vector; InvalidSchemaError for a bad `@embed` marking. Nothing is written.
   */
  constructor(options: PrismaHybridVectorStoreOptions<C>) {
    const resolved = resolveStoreOptions(options);
    super({ embedModel: resolved.embedModel });
    this.#client = resolved.client as C & SearchClient;
    this.#ctx = resolved.ctx;
    this.#models = resolved.models;
    this.#scope = resolved.scope;
  }

  /**
   * The Prisma client the store writes and reads through.
   *
   * @example
   * ```ts
   * const count = await store.client().annotation.count();
   * ```
   */
  client(): C {
    return this.#client;
  }

  /**
   * Writes nodes as node model rows (id = `node.id_`), upserting by id, all in one transaction.
   * A node's ref doc (`node.sourceNode.nodeId`, else the node itself) becomes its foreign key;
   * a ref doc row with that id is created when missing (its marked text fields "", `title` = the
   * ref doc's `file_name`, `metadata` = the ref doc's metadata, each when the model has it).
   * Nodes without an embedding are embedded with the store's embedder. Returns the node ids.
   *
   * @throws DimensionMismatchError for an embedding that is not N finite numbers (the vector's N);
   *   InvalidArgumentError for text or metadata PostgreSQL cannot store. Nothing is written then.
   * @example
   * ```ts
   * const ids = await store.add([new TextNode({ text: "Cats purr.", metadata: { page: 1 } })]);
   * ```
   */
  async add(nodes: BaseNode[]): Promise<string[]> {
    if (!Array.isArray(nodes)) {
      throw new InvalidArgumentError("add() expects an array of nodes.", [
        { path: ["nodes"], message: "expected an array" },
      ]);
    }
    if (nodes.length === 0) return [];
    // Everything is checked before the embedder runs and before anything is sent.
    const rows = nodes.map((node, i) => nodeToRow(node, i, this.#ctx.embedder.dimensions));
    // Last write wins for a repeated id: one INSERT cannot update the same row twice.
    const byId = new Map<string, number>();
    for (const [i, row] of rows.entries()) byId.set(row.id, i);
    const docs = new Map<string, RefDocRow>();
    for (const i of byId.values()) {
      const doc = refDocRow(nodes[i]!, i);
      if (!docs.has(doc.id)) docs.set(doc.id, doc);
    }
    const vectors = await this.#vectors(rows);
    const nodeRows = [...byId.values()].map((i) => {
      const r = rows[i]!;
      const metadata = JSON.stringify(r.metadata);
      const { modelId } = this.#ctx.embedder;
      return { ...r, metadata, payload: vectorToSql(vectors[i]!), embeddingModel: modelId };
    });
    const documents = [...docs.values()].map((d) => ({ ...d, metadata: JSON.stringify(d.metadata) }));
    // These writes bypass the save hook, but Prisma's debug history keeps their parameters all
    // the same (see prisma-debug-history.ts).
    await releaseDebugHistoryIfDue();
    for (const a of nodeRows) countSentChars(a.payload.length + a.rawText.length);
    const now = new Date(); // one time of the write for every row, as Prisma's own createMany
    const write = () =>
      this.#inTransaction([
        ...insertRefDocs(this.#models, documents, now),
        ...upsertNodes(this.#models, nodeRows, now),
      ]);
    // Many nodes relative to the table: the node model's graph is built once, after the INSERTs.
    const { bulkLoad } = this.#ctx;
    const model = this.#models.nodes.model.name;
    await (bulkLoad ? bulkLoad.around([model], nodeRows.length, write) : write());
    return nodes.map((node) => node.id_);
  }

  /**
   * Deletes a source document: every node row whose ref doc key is `refDocId`, and the ref doc
   * row (this is what `index.deleteRefDoc(id)` calls). Not a single node: see
   * {@link deleteNodes}.
   *
   * @example
   * ```ts
   * await index.deleteRefDoc(document.id_); // or store.delete(document.id_)
   * ```
   */
  async delete(refDocId: string, _deleteOptions?: object): Promise<void> {
    if (typeof refDocId !== "string" || refDocId.length === 0) {
      throw new InvalidArgumentError("delete() expects a ref doc id.", [
        { path: ["refDocId"], message: "expected a non-empty string" },
      ]);
    }
    await this.#inTransaction(deleteRefDoc(this.#models, refDocId));
  }

  /**
   * Deletes single nodes (node model rows) by node id; their ref doc rows stay. Returns the
   * number of rows deleted.
   *
   * @example
   * ```ts
   * await store.deleteNodes([node.id_]);
   * ```
   */
  async deleteNodes(ids: readonly string[]): Promise<number> {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new InvalidArgumentError("deleteNodes() expects an array of node ids.", [
        { path: ["ids"], message: "expected an array of strings" },
      ]);
    }
    if (ids.length === 0) return 0;
    const [count] = await this.#inTransaction([deleteNodes(this.#models, ids)]);
    return count ?? 0;
  }

  /**
   * Runs a LlamaIndex query: `mode` DEFAULT (vector), SPARSE/TEXT_SEARCH (full text), HYBRID
   * (RRF, or weighted by `alpha`), MMR (`mmrThreshold`), under `filters`, `docIds` and the
   * store's `documentId`/`mustHaveText` scope. Similarities: higher is more similar.
   *
   * @throws InvalidFilterError for a filter it cannot run; InvalidArgumentError for a bad query.
   * @example
   * ```ts
   * const { nodes, similarities } = await store.query({ queryStr: "cats", similarityTopK: 3, mode: HybridQueryMode.DEFAULT });
   * ```
   */
  async query(query: HybridVectorStoreQuery, _options?: object): Promise<VectorStoreQueryResult> {
    return runQuery(this.#client, this.#ctx, this.#models, this.#scope, query);
  }

  /** The node's own vector, or one from the embedder (in batches, identical texts once). */
  async #vectors(rows: readonly NodeRow[]): Promise<number[][]> {
    const missing = rows.flatMap((r, i) => (r.vector ? [] : [i]));
    const vectors = rows.map((r) => r.vector ?? []);
    for (let start = 0; start < missing.length; start += EMBED_BATCH) {
      const batch = missing.slice(start, start + EMBED_BATCH);
      const embedded = await embedUnique(
        this.#ctx,
        batch.map((i) => rows[i]!.embedText),
      );
      batch.forEach((i, j) => {
        vectors[i] = embedded[j]!;
      });
    }
    return vectors;
  }

  /** One transaction: a batch `$transaction` on a client, the caller's own on a transaction client. */
  async #inTransaction(statements: readonly CompiledQuery[]): Promise<number[]> {
    const client = this.#client;
    const run = (s: CompiledQuery) => client.$executeRawUnsafe(s.sql, ...s.params);
    try {
      if (typeof client.$transaction === "function") {
        const batch = client.$transaction as (queries: PromiseLike<number>[]) => Promise<number[]>;
        return await batch.call(client, statements.map(run));
      }
      const counts: number[] = [];
      for (const s of statements) counts.push(await run(s));
      return counts;
    } catch (cause) {
      const sql = statements.map((s) => s.sql).join(";\n");
      throw toHybridStoreError(cause, { sql, params: statements.flatMap((s) => s.params).slice(0, 20) });
    }
  }
}
