import { basename } from "node:path";
import {
  EmbeddingError,
  HybridStoreError,
  InvalidArgumentError,
  ModelNotFoundError,
  type ValidationIssue,
} from "../errors.ts";
import type { Embedder } from "./embedder.ts";
import { type MiniLmEmbedderOptions, resolveMiniLmOptions } from "./minilm-options.ts";
import { type LoadedModel, loadModel } from "./model-loader.ts";
import { directoryModelId, type ModelLocation, searchedPlaces } from "./model-location.ts";
import { meanPoolNormalize } from "./pooling.ts";
import { DownloadStalledError } from "./timed-fetch.ts";
import { truncatingEncoder } from "./truncating-tokenizer.ts";

interface Session extends LoadedModel {
  readonly encode: (text: string) => number[];
}

/**
 * Local sentence embeddings with all-MiniLM-L6-v2 (or another BERT-shaped ONNX model) through
 * transformers.js: texts are cut at `maxTokens` word pieces, mean-pooled and normalised, exactly
 * as sentence-transformers does, so vectors match the Python model. The model loads on first use
 * (or on {@link MiniLmEmbedder.ready}), once per instance.
 *
 * @example
 * ```ts
 * const embedder = new MiniLmEmbedder({ modelDir: "./models/all-MiniLM-L6-v2" });
 * const [vector] = await embedder.embed(["This is an example sentence"]); // 384 numbers, unit length
 * ```
 */
export class MiniLmEmbedder implements Embedder {
  readonly #name: string;
  #directoryId: string | undefined;
  readonly dimensions: number;
  readonly batchSize: number;
  readonly maxTokens: number;
  readonly #location: ModelLocation;
  #session: Promise<Session> | undefined;
  #ready: Promise<void> | undefined;

  /** @throws InvalidArgumentError for a bad option or `PHS_ALLOW_REMOTE_MODELS` value. */
  constructor(options: MiniLmEmbedderOptions = {}) {
    const resolved = resolveMiniLmOptions(options);
    this.#location = resolved.location;
    this.#name = resolved.location.model;
    this.dimensions = resolved.dimensions;
    this.batchSize = resolved.batchSize;
    this.maxTokens = resolved.maxTokens;
  }

  /**
   * What the vectors are stored under: the hub id (`"Xenova/all-MiniLM-L6-v2"`), or for a model
   * directory its name and a hash of its weights (`"tiny-minilm@sha256:1a2b3c4d5e6f"`), so a
   * different model in the same directory gets a different id.
   */
  get modelId(): string {
    if (this.#location.modelDir === undefined) return this.#name;
    this.#directoryId ??= directoryModelId(this.#location);
    return this.#directoryId ?? (this.#location.named ? this.#name : basename(this.#location.modelDir));
  }

  /**
   * Loads the model now instead of on the first `embed`. Every call returns the same promise
   * until the load settles; after a failure the next call tries again.
   *
   * @throws ModelNotFoundError naming the places looked in.
   * @example
   * ```ts
   * await embedder.ready(); // fail fast at start-up, not on the first save
   * ```
   */
  ready(): Promise<void> {
    this.#load();
    return this.#ready as Promise<void>;
  }

  /**
   * One unit-length vector of `dimensions` numbers per text, in order. Empty strings are allowed.
   *
   * @throws InvalidArgumentError if an input is not a string; ModelNotFoundError; EmbeddingError.
   * @example
   * ```ts
   * const [a, b] = await embedder.embed(["a cat on a mat", "the cat sat"]);
   * ```
   */
  async embed(texts: readonly string[]): Promise<number[][]> {
    if (!Array.isArray(texts)) throw new InvalidArgumentError("embed() expects an array of strings.");
    const issues: ValidationIssue[] = [];
    // An index loop, not flatMap: holes in a sparse array must be reported too.
    for (let i = 0; i < texts.length; i++) {
      const text: unknown = texts[i];
      if (typeof text !== "string") issues.push({ path: [i], message: `expected a string, received ${typeof text}` });
    }
    if (issues.length > 0) throw new InvalidArgumentError("embed() expects an array of strings.", issues);
    if (texts.length === 0) return [];
    const session = await this.#load();
    try {
      const ids = texts.map(session.encode);
      // Similar lengths share a batch, so little time goes into padding (as sentence-transformers does).
      const order = ids.map((_, i) => i).sort((a, b) => (ids[a]?.length ?? 0) - (ids[b]?.length ?? 0));
      const vectors: number[][] = new Array(texts.length);
      for (let start = 0; start < order.length; start += this.batchSize) {
        const batch = order.slice(start, start + this.batchSize);
        const pooled = await this.#run(
          session,
          batch.map((i) => ids[i] ?? []),
        );
        for (const [j, i] of batch.entries()) vectors[i] = pooled[j] ?? [];
      }
      return vectors;
    } catch (error) {
      if (error instanceof HybridStoreError) throw error;
      throw new EmbeddingError(`Embedding ${texts.length} text(s) with "${this.modelId}" failed.`, { cause: error });
    }
  }

  async #run(session: Session, rows: readonly number[][]): Promise<number[][]> {
    const { Tensor } = session;
    const lengths = rows.map((row) => row.length);
    const seq = Math.max(...lengths);
    const inputIds = new BigInt64Array(rows.length * seq);
    const mask = new BigInt64Array(rows.length * seq);
    for (const [r, row] of rows.entries()) {
      for (const [t, id] of row.entries()) {
        inputIds[r * seq + t] = BigInt(id);
        mask[r * seq + t] = 1n;
      }
    }
    const shape = [rows.length, seq];
    const output: unknown = await session.model({
      input_ids: new Tensor("int64", inputIds, shape),
      attention_mask: new Tensor("int64", mask, shape),
      token_type_ids: new Tensor("int64", new BigInt64Array(rows.length * seq), shape),
    });
    const hidden = (output as { last_hidden_state?: unknown } | null)?.last_hidden_state;
    if (!(hidden instanceof Tensor) || !(hidden.data instanceof Float32Array)) {
      throw new EmbeddingError(`Model "${this.modelId}" returned no float last_hidden_state.`);
    }
    return meanPoolNormalize(hidden.data, hidden.dims, lengths, this.dimensions);
  }

  #load(): Promise<Session> {
    if (this.#session) return this.#session;
    const location = this.#location;
    const session: Promise<Session> = loadModel(location).then(
      (loaded) => ({ ...loaded, encode: truncatingEncoder(loaded.tokenizer, this.maxTokens) }),
      (error: unknown) => {
        if (error instanceof EmbeddingError) throw error; // transformers.js is not installed
        // Forget the failure, so a later call can retry once the files are in place.
        if (this.#session === session) this.#session = this.#ready = undefined;
        throw new ModelNotFoundError(location.model, searchedPlaces(location, stalledDownload(error)), {
          cause: error,
        });
      },
    );
    this.#session = session;
    this.#ready = session.then(() => undefined);
    // Nobody may be waiting on ready(); its rejection still reaches those who are.
    this.#ready.catch(() => undefined);
    return session;
  }
}

/** The stalled download behind a failed load, if that is why it failed. */
function stalledDownload(error: unknown): DownloadStalledError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DownloadStalledError) return e;
  }
  return undefined;
}
