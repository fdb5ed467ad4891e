import type { TransactionStatus } from "./wire-protocol.ts";

/**
 * Follows the backend's message framing across the chunks PGlite streams out, to see where a
 * connection's turn ends: ReadyForQuery ('Z') and the transaction status it carries.
 */
export class OutputScanner {
  #header = Buffer.alloc(5);
  #headerBytes = 0;
  #remaining = 0;
  #type = 0;
  /** Status of the last ReadyForQuery seen, or null when none was seen since `reset()`. */
  ready: TransactionStatus | null = null;

  reset(): void {
    this.ready = null;
  }

  feed(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining === 0) {
        const take = Math.min(5 - this.#headerBytes, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerBytes);
        this.#headerBytes += take;
        at += take;
        if (this.#headerBytes < 5) return;
        this.#type = this.#header[0] ?? 0;
        this.#remaining = this.#header.readInt32BE(1) - 4;
        this.#headerBytes = 0;
        continue;
      }
      if (this.#type === 0x5a && at < chunk.length)
        this.ready = String.fromCharCode(chunk[at] ?? 0x49) as TransactionStatus;
      const take = Math.min(this.#remaining, chunk.length - at);
      this.#remaining -= take;
      at += take;
    }
  }
}
