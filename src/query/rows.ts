import type { ModelMeta, ScalarField } from "../schema/model-meta.ts";
import { qualified, quoteIdent } from "../sql/identifiers.ts";

/**
 * The fields a search row carries: every scalar field of the model except the write-only
 * payloads of its vectors (`embeddingPayload`). The vectors and the tsvector are not Prisma
 * fields, so they never appear.
 */
export function resultFields(model: ModelMeta): ScalarField[] {
  const payloads = new Set(model.vectors.map((v) => v.payloadField.name));
  return [...model.fields.values()].filter((f) => !payloads.has(f.name));
}

// Per model and alias: the list depends on neither the search's arguments nor its rows.
const selected = new WeakMap<ModelMeta, Map<string, string>>();

/** `"t0"."rawText" AS "rawText", ...`: columns named by their Prisma field names in the result. */
export function selectFields(model: ModelMeta, alias: string): string {
  let byAlias = selected.get(model);
  if (!byAlias) {
    byAlias = new Map();
    selected.set(model, byAlias);
  }
  let list = byAlias.get(alias);
  if (list === undefined) {
    list = resultFields(model)
      .map((f) => `${qualified(alias, f.column)} AS ${quoteIdent(f.name)}`)
      .join(", ");
    byAlias.set(alias, list);
  }
  return list;
}

/** A row as the database returned it, keyed by field name (see {@link selectFields}). */
export type RawRow = Record<string, unknown>;

/** Reads a numeric score column (float4/float8 arrive as numbers; counts may arrive as bigint). */
export function num(value: unknown): number {
  return typeof value === "bigint" ? Number(value) : (value as number);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}
