import { createHash } from "node:crypto";

/** Default byte budget of an {@link EmbeddingCache}: about 5,000 vectors of 384 dimensions. */
export const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

// Map entry, array header and hash string headers, roughly, per cached vector.
const ENTRY_OVERHEAD = 96;

/**
 * A small least-recently-used map from text to vector. Saves re-embedding a text the process
 * embedded recently (an update that rewrites the same content, duplicate chunks in a batch, a
 * repeated search query).
 *
 * Bounded by entries and by bytes. A text is kept only as its SHA-256, so a 1 MB text costs
 * what a short one does (44 bytes of key); the bytes counted are the key's, the vector's (8 per
 * number) and a fixed overhead per entry.
 */
export class EmbeddingCache {
  readonly #entries = new Map<string, number[]>();
  readonly #capacity: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(capacity: number, maxBytes: number = DEFAULT_CACHE_BYTES) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
  }

  /** Bytes the cached entries take, by the count described above; never more than `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Vectors cached. */
  get size(): number {
    return this.#entries.size;
  }

  get(text: string): number[] | undefined {
    const key = keyOf(text);
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(text: string, vector: number[]): void {
    const cost = entryBytes(vector);
    if (this.#capacity === 0 || cost > this.#maxBytes) return;
    const key = keyOf(text);
    this.#remove(key);
    this.#entries.set(key, vector);
    this.#bytes += cost;
    while (this.#entries.size > this.#capacity || this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#remove(oldest);
    }
  }

  #remove(key: string): void {
    const old = this.#entries.get(key);
    if (!old) return;
    this.#entries.delete(key);
    this.#bytes -= entryBytes(old);
  }
}

const KEY_BYTES = 44 * 2; // base64 of 32 bytes, as UTF-16

const entryBytes = (vector: readonly number[]) => KEY_BYTES + vector.length * 8 + ENTRY_OVERHEAD;

const keyOf = (text: string) => createHash("sha256").update(text).digest("base64");
