/** Elapsed time, rate and time left of a run measured in items (chunks). */
export class ProgressClock {
  #started = performance.now();

  /** Restarts the clock: scanning files is not part of the write rate. */
  start(): void {
    this.#started = performance.now();
  }

  elapsed(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** Items per second so far and seconds left at that rate (undefined until there is a rate). */
  estimate(done: number, total: number): { rate: number; eta: number | undefined } {
    const seconds = this.elapsed();
    const rate = done > 0 && seconds > 0 ? done / seconds : 0;
    return { rate, eta: rate > 0 ? Math.max(0, total - done) / rate : undefined };
  }
}
