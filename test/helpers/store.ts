import { fileURLToPath } from "node:url";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";

/** The demo model (models/tiny-minilm): the real tokenizer, a bag-of-words "embedding". */
export const tinyModelDir = fileURLToPath(new URL("../../models/tiny-minilm", import.meta.url));

let shared: MiniLmEmbedder | undefined;
export function tinyEmbedder(): MiniLmEmbedder {
  shared ??= new MiniLmEmbedder({ modelDir: tinyModelDir });
  return shared;
}
