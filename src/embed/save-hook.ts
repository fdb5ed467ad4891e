import { countSentChars, releaseDebugHistoryIfDue } from "../compat/prisma-debug-history.ts";
import type { StoreContext } from "../context.ts";
import { vectorToSql } from "../db/sql.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { ModelName } from "../schema/model-meta.ts";
import { embedUnique } from "./embed-unique.ts";
import { validateText } from "./text.ts";
import { validateVector } from "./vector.ts";
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
  readonly model: ModelName;
  readonly data: Record<string, unknown>;
  readonly text: string;
}

/**
 * Embeds the texts a write sets and puts each vector into the row's `embeddingPayload`, so the
 * database trigger stores it in the same statement as the row (see the embedding_triggers
 * migration). Everything that can fail (validation, the model) runs before `query(args)`: a
 * failure means nothing was sent. It first lets go of the vectors earlier writes left in
 * Prisma's debug history (see prisma-debug-history.ts).
 */
export async function attachEmbeddings(ctx: StoreContext, model: ModelName, operation: string, args: unknown) {
  if (!WRITES.has(operation)) return;
  const rows = collectWriteData(model, operation, args);
  // Before setVector fills any payload below, so only the caller's own values are seen.
  for (const row of rows) rejectCallerPayload(ctx, row);
  await releaseDebugHistoryIfDue();
  const pending: Pending[] = [];
  for (const { model: rowModel, data, path } of rows) {
    const meta = ctx.schema[rowModel];
    if (Object.hasOwn(data, EMBEDDING_KEY)) {
      const explicit = data[EMBEDDING_KEY];
      delete data[EMBEDDING_KEY];
      if (explicit === null || explicit === undefined) {
        throw new InvalidArgumentError(`${path}.embedding must be a vector; omit it to embed the text.`, [
          { path: [...path.split("."), EMBEDDING_KEY], message: "expected an array of numbers" },
        ]);
      }
      setVector(
        ctx,
        data,
        meta.payloadField.name,
        meta.embeddingModelField.name,
        validateVector(explicit, ctx.embedder.dimensions, `${path}.embedding`),
      );
      continue;
    }
    const text = readText(data[meta.textField.name]);
    if (text === undefined) continue;
    validateText(text, `${path}.${meta.textField.name}`);
    countSentChars(text.length);
    pending.push({ model: rowModel, data, text });
  }
  if (pending.length === 0) return;

  const vectors = await embedUnique(
    ctx,
    pending.map((p) => p.text),
  );
  pending.forEach((p, i) => {
    const meta = ctx.schema[p.model];
    setVector(ctx, p.data, meta.payloadField.name, meta.embeddingModelField.name, vectors[i]!);
  });
}

/**
 * The payload column holds vector text for the trigger to move into `embedding`; only this hook
 * may fill it. A caller's value would bypass the dimension checks, and Prisma 6.19 fails on it
 * with an opaque "Unknown error" instead of a message that points to `embedding`.
 */
function rejectCallerPayload(ctx: StoreContext, { model, data, path }: WriteData): void {
  const meta = ctx.schema[model];
  const payload = meta.payloadField.name;
  if (data[payload] === undefined) return;
  throw new InvalidArgumentError(
    `${path}.${payload} is written by prisma-hybrid-store itself: pass \`${EMBEDDING_KEY}: number[]\` ` +
      `to store your own vector, or omit it to embed ${meta.textField.name}.`,
    [{ path: [...path.split("."), payload], message: `set by the save hook; use ${EMBEDDING_KEY} instead` }],
  );
}

function setVector(ctx: StoreContext, data: Record<string, unknown>, payload: string, modelField: string, v: number[]) {
  const text = vectorToSql(v);
  countSentChars(text.length);
  data[payload] = text;
  data[modelField] ??= ctx.embedder.modelId;
}

/** `content: "x"` or, in updates, `content: { set: "x" }`. */
function readText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { set?: unknown }).set === "string") {
    return (value as { set: string }).set;
  }
  return undefined;
}
