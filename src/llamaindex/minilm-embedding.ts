import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { defaultEmbedder } from "../embed/default-embedder.ts";
import type { Embedder } from "../embed/embedder.ts";
import { MiniLmEmbedder } from "../embed/minilm-embedder.ts";
import type { MiniLmEmbedderOptions } from "../embed/minilm-options.ts";
import { validateVector } from "../embed/vector.ts";
import { EmbeddingError, HybridStoreError } from "../errors.ts";

/**
 * LlamaIndex's embedding interface over this library's {@link Embedder}, so one loaded model
 * serves the Prisma save hook, the searches and LlamaIndex. Without an argument it wraps the
 * process-wide `defaultEmbedder()` (all-MiniLM-L6-v2, configured from `PHS_MODEL_DIR` etc.).
 *
 * @example
 * ```ts
 * import { Settings } from "llamaindex";
 * import { MiniLmEmbedding } from "prisma-hybrid-store/llamaindex";
 * Settings.embedModel = new MiniLmEmbedding(); // or new MiniLmEmbedding({ modelDir: "./models/minilm" })
 * const vector = await Settings.embedModel.getTextEmbedding("hello"); // 384 numbers
 * ```
 */
export class MiniLmEmbedding extends BaseEmbedding {
  /** The embedder every call goes to. */
  readonly embedder: Embedder;

  /** @param source MiniLmEmbedder options (a new model instance) or any Embedder (shared as is). */
  constructor(source?: MiniLmEmbedderOptions | Embedder) {
    super();
    if (source === undefined) this.embedder = defaultEmbedder();
    else if (isEmbedder(source)) this.embedder = source;
    else this.embedder = new MiniLmEmbedder(source);
    this.embedBatchSize = this.embedder instanceof MiniLmEmbedder ? this.embedder.batchSize : 32;
    this.embedInfo = { dimensions: this.embedder.dimensions };
  }

  /**
   * One vector for one text.
   *
   * @example
   * ```ts
   * const v = await new MiniLmEmbedding().getTextEmbedding("a cat on a mat");
   * ```
   */
  async getTextEmbedding(text: string): Promise<number[]> {
    const [vector] = await this.getTextEmbeddings([text]);
    return vector!;
  }

  /**
   * One vector per text, in order, in a single embedder call (the embedder batches internally;
   * LlamaIndex's `getTextEmbeddingsBatch` calls this with `embedBatchSize` texts at a time).
   *
   * @example
   * ```ts
   * const [a, b] = await new MiniLmEmbedding().getTextEmbeddings(["first", "second"]);
   * ```
   */
  override getTextEmbeddings = async (texts: string[]): Promise<number[][]> => {
    const { embedder } = this;
    let vectors: number[][];
    try {
      vectors = await embedder.embed(texts);
    } catch (cause) {
      if (cause instanceof HybridStoreError) throw cause;
      throw new EmbeddingError(`Embedding ${texts.length} text(s) with ${embedder.modelId} failed: ${String(cause)}`, {
        cause,
      });
    }
    if (vectors.length !== texts.length) {
      throw new EmbeddingError(`${embedder.modelId} returned ${vectors.length} vectors for ${texts.length} texts.`);
    }
    return vectors.map((v) => validateVector(v, embedder.dimensions, "embedder output"));
  };
}

/** An object with the {@link Embedder} shape (options objects never have an `embed` function). */
export function isEmbedder(value: unknown): value is Embedder {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Partial<Embedder>;
  return typeof e.embed === "function" && typeof e.modelId === "string" && typeof e.dimensions === "number";
}
