/**
 * A small least-recently-used map from text to vector. Saves re-embedding a text the process
 * embedded recently (an update that rewrites the same content, duplicate chunks in a batch).
 */
export class EmbeddingCache {
  readonly #entries = new Map<string, number[]>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(text: string): number[] | undefined {
    const hit = this.#entries.get(text);
    if (hit) {
      this.#entries.delete(text);
      this.#entries.set(text, hit);
    }
    return hit;
  }

  set(text: string, vector: number[]): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(text);
    this.#entries.set(text, vector);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
