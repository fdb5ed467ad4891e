import { fileURLToPath } from "node:url";
import type { Embedder } from "../../src/embed/embedder.ts";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";
import { normalize } from "./vectors.ts";

/** The demo model (models/tiny-minilm): the real tokenizer, a bag-of-words "embedding". */
export const tinyModelDir = fileURLToPath(new URL("../../models/tiny-minilm", import.meta.url));

let shared: MiniLmEmbedder | undefined;
export function tinyEmbedder(): MiniLmEmbedder {
  shared ??= new MiniLmEmbedder({ modelDir: tinyModelDir });
  return shared;
}

/** A deterministic 768-d embedder (the your-models fixture's "review"): the tiny model's vector and its mirror, normalized. */
export function review768Embedder(): Embedder {
  const tiny = tinyEmbedder();
  return {
    modelId: "test-review-768",
    dimensions: 768,
    embed: async (texts) =>
      (await tiny.embed(texts)).map((v) => normalize([...v, ...v.map((x, i) => (i % 2 === 0 ? -x : x))])),
  };
}
