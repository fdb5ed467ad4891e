import type { IngestProgress } from "../index.ts";
import { formatDuration } from "./format.ts";

/**
 * Draws ingest progress on a stream (stderr): a redrawn bar on a terminal, and on anything else
 * (CI logs, pipes) a plain line at most every few seconds, so logs stay short.
 */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #interactive: boolean;
  #lastDraw = 0;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#interactive = stream.isTTY === true && process.env.TERM !== "dumb";
  }

  update(progress: IngestProgress): void {
    const now = performance.now();
    const finished = progress.files.done === progress.files.total;
    const interval = this.#interactive ? 100 : 2000;
    if (!finished && this.#drawn && now - this.#lastDraw < interval) return;
    this.#lastDraw = now;
    this.#drawn = true;
    const line = describe(progress, this.#interactive ? (this.#stream.columns ?? 80) : Number.POSITIVE_INFINITY);
    if (this.#interactive) this.#stream.write(`\r\x1b[2K${line}`);
    else this.#stream.write(`${line}\n`);
  }

  /** Ends the bar's line, so what is printed next starts on a fresh one. */
  done(): void {
    if (this.#interactive && this.#drawn) this.#stream.write("\n");
    this.#drawn = false;
  }
}

/** `[########------] 3/8 files  41/97 chunks  120.5 chunks/s  ETA 1s` */
export function describe(progress: IngestProgress, width: number): string {
  const { files, chunks } = progress;
  const fraction = chunks.total > 0 ? chunks.done / chunks.total : files.total > 0 ? files.done / files.total : 1;
  const stats = [
    `${files.done}/${files.total} files`,
    `${chunks.done}/${chunks.total} chunks`,
    progress.rate > 0 ? `${progress.rate.toFixed(1)} chunks/s` : "",
    progress.eta !== undefined && chunks.done < chunks.total ? `ETA ${formatDuration(progress.eta)}` : "",
  ]
    .filter(Boolean)
    .join("  ");
  const barWidth = Math.max(0, Math.min(30, width - stats.length - 4));
  if (barWidth < 5) return stats.slice(0, Math.max(0, width - 1));
  const filled = Math.round(fraction * barWidth);
  return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${stats}`;
}
