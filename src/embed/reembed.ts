import { countSentChars, releaseDebugHistoryIfDue } from "../compat/prisma-debug-history.ts";
import type { StoreContext } from "../context.ts";
import { execute, queryRows, type RawClient } from "../db/execute.ts";
import { quoteIdent, quoteTable, vectorToSql } from "../db/sql.ts";
import { InvalidArgumentError } from "../errors.ts";
import { MODEL_NAMES, type ModelMeta, type ModelName } from "../schema/model-meta.ts";
import { embedUnique } from "./embed-unique.ts";

/** Options for `prisma.$reembed()`. */
export interface ReembedOptions {
  /** Which models to backfill. Default both. */
  models?: readonly ModelName[];
  /** Rows per embedder call and UPDATE. Default 64. */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (progress: ReembedProgress) => void;
  /** Stops after the current batch; rows done so far stay done. */
  signal?: AbortSignal;
}

/** What `onProgress` receives after each batch of `$reembed`. */
export interface ReembedProgress {
  readonly model: ModelName;
  /** Rows embedded so far in this model. */
  readonly done: number;
  /** Rows that needed embedding when the run started. */
  readonly total: number;
}

/** What `$reembed` returns when it finishes (or stops on `signal`). */
export interface ReembedResult {
  /** Rows that got a vector, per model. */
  readonly embedded: Record<ModelName, number>;
}

/**
 * Gives a vector to every row that has none or whose vector came from another model (rows
 * written by other clients, or after changing the embedder). Each batch commits on its own and
 * only rows still needing work are read, so a run that is interrupted resumes where it stopped.
 * A row whose text changes while it is being embedded is left for the next run, never given
 * the vector of its old text.
 */
export async function reembed(
  client: RawClient,
  ctx: StoreContext,
  options: ReembedOptions = {},
): Promise<ReembedResult> {
  checkOptions(options);
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new InvalidArgumentError("batchSize must be a whole number from 1 to 10000", [
      { path: ["batchSize"], message: "expected an integer in [1, 10000]" },
    ]);
  }
  const embedded: Record<ModelName, number> = { Document: 0, Annotation: 0 };
  for (const name of options.models ?? MODEL_NAMES) {
    const model = ctx.schema[name];
    const needs = `(${quoteIdent(model.embeddingColumn)} IS NULL OR ${quoteIdent(model.embeddingModelField.column)} IS DISTINCT FROM $1)`;
    const [count] = await queryRows<{ n: number }>(client, {
      sql: `SELECT count(*)::int AS n FROM ${quoteTable(model)} WHERE ${needs}`,
      params: [ctx.embedder.modelId],
    });
    const total = count?.n ?? 0;
    const batches = async () => {
      let after = "";
      while (!options.signal?.aborted) {
        const rows = await queryRows<{ id: string; text: string; hash: string }>(
          client,
          selectBatch(model, needs, after, batchSize, ctx),
        );
        if (rows.length === 0) break;
        after = rows[rows.length - 1]!.id;
        const vectors = await embedUnique(
          ctx,
          rows.map((r) => r.text),
        );
        const update = updateBatch(model, rows, vectors, ctx);
        await releaseDebugHistoryIfDue();
        countSentChars(update.params[1]!.length);
        embedded[name] += await execute(client, update);
        options.onProgress?.({ model: name, done: embedded[name], total });
      }
    };
    // Each re-embedded row is a new row version for the HNSW graph: as costly as an insert.
    await (ctx.bulkLoad ? ctx.bulkLoad.around([name], total, batches) : batches());
  }
  return { embedded };
}

function selectBatch(model: ModelMeta, needs: string, after: string, limit: number, ctx: StoreContext) {
  const id = quoteIdent(model.idField.column);
  return {
    sql:
      `SELECT ${id}::text AS id, ${quoteIdent(model.textField.column)} AS text, md5(${quoteIdent(model.textField.column)}) AS hash ` +
      `FROM ${quoteTable(model)} WHERE ${needs} AND ${id}::text > $2 ORDER BY ${id}::text LIMIT $3`,
    params: [ctx.embedder.modelId, after, limit],
  };
}

function updateBatch(model: ModelMeta, rows: { id: string; hash: string }[], vectors: number[][], ctx: StoreContext) {
  const values = rows.map((r, i) => ({ id: r.id, hash: r.hash, payload: vectorToSql(vectors[i]!) }));
  const t = (c: string) => `t.${quoteIdent(c)}`;
  return {
    sql:
      `UPDATE ${quoteTable(model)} AS t SET ${quoteIdent(model.payloadField.column)} = v.payload, ` +
      `${quoteIdent(model.embeddingModelField.column)} = $1 ` +
      `FROM jsonb_to_recordset($2::jsonb) AS v(id text, hash text, payload text) ` +
      `WHERE ${t(model.idField.column)}::text = v.id AND md5(${t(model.textField.column)}) = v.hash`,
    params: [ctx.embedder.modelId, JSON.stringify(values)] as const,
  };
}

const OPTION_KEYS = new Set(["models", "batchSize", "onProgress", "signal"]);

/** A typo (`batchsize`) or an unknown model would otherwise run with defaults or fail half-way. */
function checkOptions(options: ReembedOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("$reembed takes an options object", [{ path: [], message: "expected an object" }]);
  }
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown $reembed option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `'${k}'`).join(", ")}; expected ${[...OPTION_KEYS].join(", ")}`,
      unknown.map((k) => ({ path: [k], message: "unknown option" })),
    );
  }
  const models: unknown = options.models;
  if (models === undefined) return;
  if (!Array.isArray(models)) {
    throw new InvalidArgumentError("models must be an array of model names", [
      { path: ["models"], message: `expected an array of ${MODEL_NAMES.join(" or ")}` },
    ]);
  }
  models.forEach((m: unknown, i) => {
    if (!MODEL_NAMES.includes(m as ModelName)) {
      throw new InvalidArgumentError(`models[${i}] is ${JSON.stringify(m)}; expected ${MODEL_NAMES.join(" or ")}`, [
        { path: ["models", i], message: `expected ${MODEL_NAMES.join(" or ")}` },
      ]);
    }
  });
}
