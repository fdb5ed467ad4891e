import { countSentChars, releaseDebugHistoryIfDue } from "../compat/prisma-debug-history.ts";
import type { StoreContext } from "../context.ts";
import { execute, queryRows, type RawClient } from "../db/execute.ts";
import { embedUnique } from "../embed/embed-unique.ts";
import { embedderOf } from "../embed/embedder.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type BundledModelName, type ModelMeta, type ModelName, modelOf } from "../schema/model-meta.ts";
import { eachVector } from "../schema/model-vectors.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { vectorToSql } from "../sql/vector-text.ts";

/** Options for `prisma.$reembed()`; `M`, the client's model names (typed from the client). */
export interface ReembedOptions<M extends string = ModelName> {
  /** Which marked models to backfill. Default every one. */
  models?: readonly M[];
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
  /** The marked vector field being filled (a model with several is done one vector after another). */
  readonly vectorField: string;
  /** Rows given this vector so far. */
  readonly done: number;
  /** Rows that needed this vector when its run started. */
  readonly total: number;
}

/**
 * What `$reembed` returns when it finishes (or stops on `signal`); `M`, the client's model names
 * (by default the bundled ones).
 */
export interface ReembedResult<M extends string = BundledModelName> {
  /**
   * Vectors written, per model of the client (0 for the models it did not run on): a row that got
   * two of its marked vectors counts twice.
   */
  readonly embedded: Record<M, number>;
}

/**
 * Gives a vector to every row that has none or whose vector came from another model (rows
 * written by other clients, or after changing the embedder), for each marked vector of each
 * model, with that vector's embedder. Each batch commits on its own and
 * only rows still needing work are read, so a run that is interrupted resumes where it stopped.
 * A row whose text changes while it is being embedded is left for the next run, never given
 * the vector of its old text.
 */
export async function reembed(
  client: RawClient,
  ctx: StoreContext,
  options: ReembedOptions = {},
): Promise<ReembedResult> {
  const names = checkOptions(options, [...ctx.schema.models.keys()]);
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new InvalidArgumentError("batchSize must be a whole number from 1 to 10000", [
      { path: ["batchSize"], message: "expected an integer in [1, 10000]" },
    ]);
  }
  const embedded: Record<ModelName, number> = Object.fromEntries([...ctx.schema.tables.keys()].map((n) => [n, 0]));
  for (const name of names) {
    for (const model of eachVector(modelOf(ctx.schema, name))) {
      await reembedVector(client, ctx, model, batchSize, options, (n) => {
        embedded[name] = (embedded[name] ?? 0) + n;
      });
    }
  }
  return { embedded };
}

/** One marked vector of a model: its rows that need a vector, in batches; `add` counts each batch. */
async function reembedVector(
  client: RawClient,
  ctx: StoreContext,
  model: ModelMeta,
  batchSize: number,
  options: ReembedOptions,
  add: (rows: number) => void,
): Promise<void> {
  const embedder = embedderOf(ctx, model);
  const counted = new SqlParams();
  const [count] = await queryRows<{ n: number }>(
    client,
    counted.finish(
      `SELECT count(*)::int AS n FROM ${quoteTable(model)} WHERE ${needs(counted, model, embedder.modelId)}`,
    ),
  );
  const total = count?.n ?? 0;
  let done = 0;
  const batches = async () => {
    let after = "";
    while (!options.signal?.aborted) {
      const rows = await queryRows<{ id: string; text: string; hash: string }>(
        client,
        selectBatch(model, after, batchSize, embedder.modelId),
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      const vectors = await embedUnique(
        ctx,
        rows.map((r) => r.text),
        model.embedder,
      );
      const update = updateBatch(model, rows, vectors, embedder.modelId);
      await releaseDebugHistoryIfDue();
      countSentChars(update.sentChars);
      const n = await execute(client, update.query);
      done += n;
      add(n);
      options.onProgress?.({ model: model.name, vectorField: model.vectorField, done, total });
    }
  };
  // Each re-embedded row is a new row version for the HNSW graph: as costly as an insert.
  await (ctx.bulkLoad ? ctx.bulkLoad.around([model.name], total, batches) : batches());
}

/**
 * The embedded text in SQL: the one source, or the sources joined by a space with NULLs skipped
 * (as the save hook and the generated trigger's hash join them); NULL when every source is NULL.
 */
function sourceText(model: ModelMeta, alias?: string): string {
  const cols = model.textFields.map((f) => (alias ? `${alias}.${quoteIdent(f.column)}` : quoteIdent(f.column)));
  if (cols.length === 1) return cols[0]!;
  return `nullif(concat_ws(' ', ${cols.join(", ")}), '')`;
}

/** Rows with text to embed (a row whose sources are all NULL has none). */
function needs(params: SqlParams, model: ModelMeta, modelId: string): string {
  return (
    `(${quoteIdent(model.embeddingColumn)} IS NULL OR ${quoteIdent(model.embeddingModelField.column)} IS DISTINCT FROM ${params.param(modelId)}) ` +
    `AND ${sourceText(model)} IS NOT NULL`
  );
}

function selectBatch(model: ModelMeta, after: string, limit: number, modelId: string): CompiledQuery {
  const id = quoteIdent(model.idField.column);
  const text = sourceText(model);
  const params = new SqlParams();
  const where = needs(params, model, modelId);
  return params.finish(
    `SELECT ${id}::text AS id, ${text} AS text, md5(${text}) AS hash FROM ${quoteTable(model)} ` +
      `WHERE ${where} AND ${id}::text > ${params.param(after)} ORDER BY ${id}::text LIMIT ${params.param(limit)}`,
  );
}

function updateBatch(model: ModelMeta, rows: { id: string; hash: string }[], vectors: number[][], modelId: string) {
  const values = rows.map((r, i) => ({ id: r.id, hash: r.hash, payload: vectorToSql(vectors[i]!) }));
  const t = (c: string) => `t.${quoteIdent(c)}`;
  const params = new SqlParams();
  const recordset = JSON.stringify(values);
  const query = params.finish(
    `UPDATE ${quoteTable(model)} AS t SET ${quoteIdent(model.payloadField.column)} = v.payload, ` +
      `${quoteIdent(model.embeddingModelField.column)} = ${params.param(modelId)} ` +
      `FROM jsonb_to_recordset(${params.param(recordset, "jsonb")}) AS v(id text, hash text, payload text) ` +
      `WHERE ${t(model.idField.column)}::text = v.id AND md5(${sourceText(model, "t")}) = v.hash`,
  );
  return { query, sentChars: recordset.length };
}

const OPTION_KEYS = new Set(["models", "batchSize", "onProgress", "signal"]);

/** A typo (`batchsize`) or an unknown model would otherwise run with defaults or fail half-way. */
function checkOptions(options: ReembedOptions, marked: readonly string[]): readonly string[] {
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
  return checkModelNames(options.models, marked);
}

/**
 * `models` of `$reembed` or `$bulkLoad`: an array of marked model names (default all of them).
 *
 * @throws InvalidArgumentError naming the first entry that is not a marked model.
 */
export function checkModelNames(models: unknown, marked: readonly string[]): readonly string[] {
  const expected = `expected ${marked.map((m) => JSON.stringify(m)).join(" or ")} (the models with an @embed marking)`;
  if (models === undefined) return marked;
  if (!Array.isArray(models)) {
    throw new InvalidArgumentError("models must be an array of model names", [
      { path: ["models"], message: `expected an array of model names; ${expected}` },
    ]);
  }
  models.forEach((m: unknown, i) => {
    if (typeof m !== "string" || !marked.includes(m)) {
      throw new InvalidArgumentError(`models[${i}] is ${JSON.stringify(m)}; ${expected}`, [
        { path: ["models", i], message: expected },
      ]);
    }
  });
  return models as string[];
}
