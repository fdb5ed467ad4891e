import { countSentChars, releaseDebugHistoryIfDue } from "../compat/prisma-debug-history.ts";
import type { StoreContext } from "../context.ts";
import { embedUnique } from "../embed/embed-unique.ts";
import { embedderOf } from "../embed/embedder.ts";
import { validateText } from "../embed/text.ts";
import { validateVector } from "../embed/vector.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type ModelMeta, modelOf } from "../schema/model-meta.ts";
import { eachVector } from "../schema/model-vectors.ts";
import { vectorToSql } from "../sql/vector-text.ts";
import { collectWriteData, type WriteData } from "./write-data.ts";

const WRITES = new Set([
  "create",
  "createMany",
  "createManyAndReturn",
  "update",
  "updateMany",
  "updateManyAndReturn",
  "upsert",
]);

/** The key a caller may put next to the text to store its own vector (see `withEmbedding`). */
export const EMBEDDING_KEY = "embedding";

interface Pending {
  readonly model: ModelMeta;
  readonly data: Record<string, unknown>;
  readonly text: string;
}

/**
 * Embeds the texts a write sets and puts each vector into the row's payload field, so the
 * database trigger stores it in the same statement as the row (see the embedding_triggers
 * migration, or what `generate` writes), for every marking of every marked model the write
 * reaches, each with its own embedder (a write that sets only one marking's sources embeds only
 * that one; the other vectors' triggers keep their vectors). A marking
 * with several source fields embeds them joined by a space, NULLs skipped; an update that sets
 * only some of them sends no vector (the others' text is not in the call), and the trigger
 * clears the old one: `$reembed` fills it. Everything that can fail (validation, the model) runs before `query(args)`: a
 * failure means nothing was sent. It first lets go of the vectors earlier writes left in
 * Prisma's debug history (see prisma-debug-history.ts).
 */
export async function attachEmbeddings(ctx: StoreContext, model: string, operation: string, args: unknown) {
  if (!WRITES.has(operation)) return;
  const rows = collectWriteData(ctx.schema, model, operation, args);
  if (rows.length === 0) return;
  // Before setVector fills any payload below, so only the caller's own values are seen.
  for (const row of rows) rejectCallerPayload(ctx, row);
  await releaseDebugHistoryIfDue();
  const pending: Pending[] = [];
  for (const { model: rowModel, data, path, creates } of rows) {
    const marked = modelOf(ctx.schema, rowModel);
    for (const meta of eachVector(marked)) {
      const key = explicitKey(marked, meta, data);
      if (key !== undefined) {
        const explicit = data[key];
        delete data[key];
        if (explicit === null || explicit === undefined) {
          throw new InvalidArgumentError(`${path}.${key} must be a vector; omit it to embed the text.`, [
            { path: [...path.split("."), key], message: "expected an array of numbers" },
          ]);
        }
        const embedder = embedderOf(ctx, meta);
        setVector(
          data,
          meta.payloadField.name,
          meta.embeddingModelField.name,
          validateVector(explicit, embedder.dimensions, `${path}.${key}`),
          embedder.modelId,
        );
        continue;
      }
      const text = sourceText(meta, data, creates, path);
      if (text === undefined) continue;
      countSentChars(text.length);
      pending.push({ model: meta, data, text });
    }
  }
  if (pending.length === 0) return;

  // One embedder call per embedder the write needs.
  for (const key of new Set(pending.map((p) => p.model.embedder))) {
    const mine = pending.filter((p) => p.model.embedder === key);
    const vectors = await embedUnique(
      ctx,
      mine.map((p) => p.text),
      key,
    );
    mine.forEach((p, i) => {
      const meta = p.model;
      setVector(
        p.data,
        meta.payloadField.name,
        meta.embeddingModelField.name,
        vectors[i]!,
        embedderOf(ctx, meta).modelId,
      );
    });
  }
}

/**
 * Where a caller put a vector of its own for `vector`: under the vector field's name
 * (`titleVector: [...]`), or, for the model's first vector, under `embedding` (unless another
 * vector field has that name).
 */
function explicitKey(model: ModelMeta, vector: ModelMeta, data: Record<string, unknown>): string | undefined {
  if (Object.hasOwn(data, vector.vectorField)) return vector.vectorField;
  const alias = vector === model && !model.vectors.some((v) => v.vectorField === EMBEDDING_KEY);
  return alias && Object.hasOwn(data, EMBEDDING_KEY) ? EMBEDDING_KEY : undefined;
}

/**
 * The text a row's write embeds: its source fields joined by a space, NULLs skipped (as the
 * trigger's hash and `$reembed` join them). Undefined when the write sets no source, when an
 * update sets only some of several, or when every source is NULL.
 */
function sourceText(
  meta: ModelMeta,
  data: Record<string, unknown>,
  creates: boolean,
  path: string,
): string | undefined {
  const parts: string[] = [];
  let given = 0;
  for (const f of meta.textFields) {
    const value = data[f.name];
    if (value === undefined) continue;
    given++;
    const text = readText(value);
    if (text === null) continue;
    if (text === undefined) return undefined; // an operation Prisma will judge; nothing to embed
    validateText(text, `${path}.${f.name}`);
    parts.push(text);
  }
  if (given === 0 || (!creates && given < meta.textFields.length) || parts.length === 0) return undefined;
  return parts.join(" ");
}

/**
 * The payload column holds vector text for the trigger to move into `embedding`; only this hook
 * may fill it. A caller's value would bypass the dimension checks, and Prisma 6.19 fails on it
 * with an opaque "Unknown error" instead of a message that points to `embedding`.
 */
function rejectCallerPayload(ctx: StoreContext, { model, data, path }: WriteData): void {
  const marked = modelOf(ctx.schema, model);
  for (const meta of eachVector(marked)) {
    const payload = meta.payloadField.name;
    if (data[payload] === undefined) continue;
    const key = marked.vectors.length === 1 ? EMBEDDING_KEY : meta.vectorField;
    throw new InvalidArgumentError(
      `${path}.${payload} is written by prisma-hybrid-store itself: pass \`${key}: number[]\` ` +
        `to store your own vector, or omit it to embed ${meta.textField.name}.`,
      [{ path: [...path.split("."), payload], message: `set by the save hook; use ${key} instead` }],
    );
  }
}

function setVector(data: Record<string, unknown>, payload: string, modelField: string, v: number[], modelId: string) {
  const text = vectorToSql(v);
  countSentChars(text.length);
  data[payload] = text;
  data[modelField] ??= modelId;
}

/** `content: "x"` or, in updates, `content: { set: "x" }`; null for a NULL; undefined otherwise. */
function readText(value: unknown): string | null | undefined {
  if (typeof value === "string" || value === null) return value;
  if (typeof value === "object" && (value as { set?: unknown }).set !== undefined) {
    const set = (value as { set: unknown }).set;
    return typeof set === "string" || set === null ? set : undefined;
  }
  return undefined;
}
