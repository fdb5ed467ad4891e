import { MiniLmEmbedder } from "./minilm-embedder.ts";

let shared: MiniLmEmbedder | undefined;

/**
 * The process-wide {@link MiniLmEmbedder}, configured from the environment (`PHS_MODEL_DIR`,
 * `PHS_MODEL`, `PHS_CACHE_DIR`, `PHS_ALLOW_REMOTE_MODELS`) and created on first call, so the save
 * hook, searches and the LlamaIndex adapter share one loaded model.
 *
 * @example
 * ```ts
 * const [vector] = await defaultEmbedder().embed(["hello"]);
 * ```
 */
export function defaultEmbedder(): MiniLmEmbedder {
  shared ??= new MiniLmEmbedder();
  return shared;
}
