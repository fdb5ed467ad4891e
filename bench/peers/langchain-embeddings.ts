import { Embeddings } from "@langchain/core/embeddings";
import type { VectorLookup } from "./types.ts";

/** LangChain embeddings that return the precomputed vector of each text. */
export class FakeEmbeddings extends Embeddings {
  readonly #lookup: VectorLookup;

  constructor(lookup: VectorLookup) {
    super({});
    this.#lookup = lookup;
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((t) => Array.from(this.#lookup(t))));
  }

  embedQuery(text: string): Promise<number[]> {
    return Promise.resolve(Array.from(this.#lookup(text)));
  }
}
