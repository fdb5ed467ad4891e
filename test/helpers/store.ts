import { fileURLToPath } from "node:url";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";

/** The tiny BERT-shaped model in test/fixtures: the real tokenizer, a bag-of-words "embedding". */
export const tinyModelDir = fileURLToPath(new URL("../fixtures/tiny-minilm", import.meta.url));

let shared: MiniLmEmbedder | undefined;
export function tinyEmbedder(): MiniLmEmbedder {
  shared ??= new MiniLmEmbedder({ modelDir: tinyModelDir });
  return shared;
}
