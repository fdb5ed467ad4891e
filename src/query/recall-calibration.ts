import type { ModelMeta } from "../schema/model-meta.ts";
import { quoteIdent, quoteTable } from "../sql/identifiers.ts";
import type { RecallMeasurement } from "./recall-probe.ts";
import { measureRecall } from "./recall-probe.ts";
import type { SearchClient, SettingsAt } from "./run-search.ts";
import type { VectorIndex } from "./vector-index.ts";
import { VECTOR_INDEX } from "./vector-index.ts";

/** Recall@10 targets when neither the store nor the search names one. */
export const DEFAULT_RECALL_TARGET = { unfiltered: 0.95, filtered: 0.99 } as const;
/** A calibration is measured again after this long. */
export const CALIBRATION_MAX_AGE_MS = 10 * 60_000;
/** ... or once the table's row count moved by more than this share. */
export const CALIBRATION_ROW_CHANGE = 0.2;
/** A measurement that failed is tried again after this long (searches use the defaults meanwhile). */
export const CALIBRATION_RETRY_MS = 30_000;
/**
 * A stale calibration is refreshed in the background while the row count is within this factor
 * of the measured one; beyond it, the search waits for the new measurement.
 */
export const CALIBRATION_WAIT_FACTOR = 2;

/** The recall options of `hybridStore({ recall })`. */
export interface RecallOptions {
  /** recall@10 to aim for without a filter (or one that keeps nearly every row). Default 0.95. */
  unfiltered?: number;
  /** recall@10 to aim for under a filter. Default 0.99. */
  filtered?: number;
  /** Measure again after this many milliseconds. Default 10 minutes. */
  maxAgeMs?: number;
}

/** One vector column's key: each marked vector of a table has its own graph, so its own recall. */
const calibrationKey = (model: ModelMeta): string => `${quoteTable(model)}.${quoteIdent(model.embeddingColumn)}`;

/** One vector column's measurement, as the plan choice reads it. */
export interface Calibration extends RecallMeasurement {
  /** Rows with a vector (planner estimate) when it was measured. */
  readonly rows: number;
  readonly at: Date;
}

/** What a search's plan gets: the table's calibration, or why there is none. */
export interface CalibrationState {
  readonly calibration?: Calibration | undefined;
  /** Why the last measurement failed (the plan's reason says so); absent when it did not. */
  readonly failure?: string | undefined;
}

interface Entry extends CalibrationState {
  readonly rows: number;
  readonly at: number;
}

/**
 * Per store: what recall the HNSW index reaches on each vector column at each ef_search, measured on
 * the table's own rows (see {@link measureRecall}) the first time a search would use the index,
 * and again when it is older than `maxAgeMs` or the row count moved by more than 20%. The search
 * that finds it missing waits for the measurement (concurrent ones share it). A stale one is
 * measured again in the background while searches go on using it, as long as the row count is
 * within {@link CALIBRATION_WAIT_FACTOR}x of the measured one: at a million rows a measurement
 * takes seconds, which no search every ten minutes should wait for, and a modest change moves
 * recall little; a table that doubled or halved waits, as its old measurement says little. A
 * failed measurement keeps the last good one (or the defaults), says why in the plan when there
 * is none, and is tried again after {@link CALIBRATION_RETRY_MS}. Only searches on a client that
 * can open its own batch transaction measure (not one inside a caller's interactive
 * transaction); they still use a measurement made earlier.
 */
export class RecallCalibration {
  readonly targets: { readonly unfiltered: number; readonly filtered: number };
  readonly #maxAgeMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #running = new Map<string, Promise<Entry>>();

  constructor(options: RecallOptions = {}) {
    this.targets = {
      unfiltered: options.unfiltered ?? DEFAULT_RECALL_TARGET.unfiltered,
      filtered: options.filtered ?? DEFAULT_RECALL_TARGET.filtered,
    };
    this.#maxAgeMs = options.maxAgeMs ?? CALIBRATION_MAX_AGE_MS;
  }

  /**
   * The table's calibration, measured first if it is missing or far off (or refreshed in the
   * background if merely stale). `total` is the planner's row estimate; `filterShare` the
   * smallest share of rows under which a filtered search would walk the index; `index` the HNSW
   * index searches on the table walk (measured as they use it).
   */
  async get(
    client: SearchClient,
    model: ModelMeta,
    total: number,
    filterShare: number,
    index: VectorIndex = VECTOR_INDEX,
    settings: SettingsAt = "statement",
  ): Promise<CalibrationState> {
    const key = calibrationKey(model);
    const entry = this.#entries.get(key);
    if (entry && !this.#stale(entry, total)) return entry;
    if (typeof client.$transaction !== "function") return entry ?? {};
    let running = this.#running.get(key);
    if (!running) {
      running = this.#measure(client, model, total, filterShare, index, settings, entry).finally(() =>
        this.#running.delete(key),
      );
      this.#running.set(key, running);
    }
    if (entry?.calibration && withinFactor(total, entry.rows, CALIBRATION_WAIT_FACTOR)) return entry;
    return running;
  }

  #stale(entry: Entry, total: number): boolean {
    if (Date.now() - entry.at >= (entry.failure === undefined ? this.#maxAgeMs : CALIBRATION_RETRY_MS)) return true;
    return Math.abs(total - entry.rows) > CALIBRATION_ROW_CHANGE * Math.max(entry.rows, 1);
  }

  async #measure(
    client: SearchClient,
    model: ModelMeta,
    total: number,
    filterShare: number,
    index: VectorIndex,
    settings: SettingsAt,
    previous: Entry | undefined,
  ): Promise<Entry> {
    const at = Date.now();
    let entry: Entry;
    try {
      const measured = await measureRecall(client, model, total, filterShare, index, settings);
      entry = { calibration: measured && { ...measured, rows: total, at: new Date(at) }, rows: total, at };
    } catch (cause) {
      // Calibration only tunes ef_search: without it searches run at the last measurement or the
      // defaults (and say why), and the search's own statement reports any real database problem.
      const failure = cause instanceof Error ? cause.message.split("\n").find((line) => line.trim()) : String(cause);
      entry = {
        calibration: previous?.calibration,
        failure: failure?.trim() || "unknown error",
        rows: previous?.rows ?? total,
        at,
      };
    }
    this.#entries.set(calibrationKey(model), entry);
    return entry;
  }
}

const withinFactor = (a: number, b: number, factor: number): boolean =>
  Math.max(a, 1) <= factor * Math.max(b, 1) && Math.max(b, 1) <= factor * Math.max(a, 1);
