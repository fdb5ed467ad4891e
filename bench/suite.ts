import type { Family } from "./data.ts";
import type { SuiteResult } from "./report.ts";
import type { IndexKind } from "./scale-load.ts";
import type { Target } from "./target.ts";

export interface SuiteContext {
  readonly target: Target;
  /** Sizes from `--rows`; each suite has its own default. */
  readonly rows: readonly number[] | undefined;
  /** `--api-rows`: how many rows the peers suite writes through each store's own API. */
  readonly apiRows?: number | undefined;
  /** `--family`: the vector distribution the search suites load (default clustered). */
  readonly family: Family;
  /** `--quick`: fewer queries and rounds, for a smoke run. */
  readonly quick: boolean;
  /** `--index` (scale): the HNSW indexes to build, default both. */
  readonly indexes?: readonly IndexKind[] | undefined;
  /** `--hnsw-m` (scale): the graphs' `m`, default the migrations' 16. */
  readonly hnswM?: number | undefined;
  readonly log: (line: string) => void;
  /** The command that reproduces this suite's run, for the doc. */
  readonly command: string;
}

export interface Suite {
  readonly name: string;
  readonly summary: string;
  run(ctx: SuiteContext): Promise<SuiteResult>;
}
