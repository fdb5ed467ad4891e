import { InvalidArgumentError } from "../errors.ts";
import type { ModelMeta } from "../schema/model-meta.ts";
import type { ModelContext } from "./model-methods.ts";
import type { RawRow } from "./rows.ts";

/**
 * Applies `select`/`include` to search rows: one `findMany` by id through the model delegate
 * (so Prisma shapes relations and selections as usual), merged back in search order with the
 * scores. Without either, the search rows are returned as they are.
 */
export async function withRelations<R extends RawRow>(
  delegate: ModelContext,
  model: ModelMeta,
  rows: readonly R[],
  args: {
    readonly select?: Record<string, unknown> | undefined;
    readonly include?: Record<string, unknown> | undefined;
  },
  /** The payload fields of every marked model: related rows of any of them may carry theirs. */
  payloads: ReadonlySet<string> = new Set(model.vectors.map((v) => v.payloadField.name)),
): Promise<RawRow[]> {
  const { select, include } = args;
  if (!select && !include) return [...rows];
  const id = model.idField.name;
  // Also without rows: a wrong select/include fails whatever the search found.
  const where = { [id]: { in: rows.map((r) => r[id]) } };
  let fetched: Record<string, unknown>[];
  try {
    fetched = await delegate.findMany(select ? { where, select: { ...select, [id]: true } } : { where, include });
  } catch (error) {
    throw invalidSelection(error, select ? "select" : "include");
  }
  if (rows.length === 0) return [];
  const byId = new Map(fetched.map((r) => [r[id], r]));
  const out: RawRow[] = [];
  for (const row of rows) {
    const found = byId.get(row[id]);
    if (!found) continue; // deleted between the search and the fetch
    const shaped: RawRow = { ...found };
    if (select && !select[id]) delete shaped[id];
    if (!select) for (const v of model.vectors) delete shaped[v.payloadField.name];
    stripPayload(shaped, select ?? include, payloads);
    // The scores: every key of the search row that is not a field of the model.
    for (const [key, value] of Object.entries(row)) if (!model.fields.has(key)) shaped[key] = value;
    out.push(shaped);
  }
  return out;
}

/**
 * Related rows fetched by `include` (or by a relation in `select` that includes its own
 * relations) carry the write-only payload field too, always NULL: drop it wherever the caller
 * did not select it by name.
 */
function stripPayload(
  row: Record<string, unknown>,
  shape: Record<string, unknown> | undefined,
  payloads: ReadonlySet<string>,
) {
  if (!shape) return;
  for (const [key, spec] of Object.entries(shape)) {
    if (!spec) continue;
    const related = row[key];
    const nested = typeof spec === "object" ? (spec as Record<string, unknown>) : {};
    const sub = (nested.select ?? nested.include) as Record<string, unknown> | undefined;
    const items = Array.isArray(related) ? related : related && typeof related === "object" ? [related] : [];
    for (const item of items as Record<string, unknown>[]) {
      if (!nested.select) for (const payload of payloads) delete item[payload];
      stripPayload(item, sub, payloads);
    }
  }
}

/** Prisma's verdict on a `select`/`include` it cannot run, as the library's own argument error. */
function invalidSelection(error: unknown, key: "select" | "include"): unknown {
  if (!(error instanceof Error) || error.name !== "PrismaClientValidationError") return error;
  // Prisma's message ends with the reason, after a rendering of the call.
  const reason = error.message.trim().split("\n").at(-1)?.trim() ?? error.message;
  return new InvalidArgumentError(`Invalid ${key}: ${reason}`, [{ path: [key], message: reason }], { cause: error });
}
