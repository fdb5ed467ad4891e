import type { ScalarField } from "../schema/model-meta.ts";
import type { JoinColumns } from "../schema/relations.ts";

/**
 * The one internal filter representation. `parseWhere` builds it from a Prisma-style `where`,
 * the LlamaIndex adapter from metadata filters; `compileFilter` turns it into SQL. Nodes are
 * small frozen objects that hold the schema's field (and so its column), never a user string
 * that could name one.
 *
 * @example
 * ```ts
 * const m = schema.Annotation;
 * const node = and(compare(field(m, "page"), ">=", 2), json(field(m, "metadata"), ["lang"], "equals", "en"));
 * ```
 */
export type FilterNode =
  | ConstantNode
  | AndNode
  | OrNode
  | NotNode
  | CompareNode
  | InNode
  | NullNode
  | LikeNode
  | JsonNode
  | RelationNode;

/** A value a scalar column is compared with (already validated against the field's type). */
export type ScalarValue = string | number | bigint | boolean | Date;

/** Another column of the same row, from a Prisma field reference (`prisma.annotation.fields.page`). */
export interface ColumnRef {
  readonly kind: "column";
  readonly field: ScalarField;
}

/** Any JSON value, as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">=";
export type LikeMatch = "contains" | "startsWith" | "endsWith";
export type JsonOp =
  | "equals"
  | "not"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "string_contains"
  | "string_starts_with"
  | "string_ends_with"
  | "array_contains"
  | "array_starts_with"
  | "array_ends_with"
  /** The path is present (any JSON value, null included); `value` is ignored. Prisma's `not: DbNull`. */
  | "exists";
/**
 * `is`: the related row (to one) matches, with the filter's NULLs kept as Prisma's join keeps
 * them; `isNot`: NOT `is`; `some`/`every`/`none` as Prisma.
 */
export type Quantifier = "some" | "every" | "none" | "is" | "isNot";

export interface ConstantNode {
  readonly kind: "constant";
  readonly value: boolean;
}
export interface AndNode {
  readonly kind: "and";
  readonly filters: readonly FilterNode[];
}
export interface OrNode {
  readonly kind: "or";
  readonly filters: readonly FilterNode[];
}
export interface NotNode {
  readonly kind: "not";
  readonly filter: FilterNode;
}
export interface CompareNode {
  readonly kind: "compare";
  readonly field: ScalarField;
  readonly op: CompareOp;
  readonly value: ScalarValue | ColumnRef;
  /** Compare `lower(column)` with `lower(value)` (String fields, `mode: "insensitive"`). */
  readonly insensitive: boolean;
}
export interface InNode {
  readonly kind: "in";
  readonly field: ScalarField;
  readonly values: readonly ScalarValue[];
  readonly negated: boolean;
  readonly insensitive: boolean;
}
export interface NullNode {
  readonly kind: "isNull";
  readonly field: ScalarField;
  readonly negated: boolean;
}
export interface LikeNode {
  readonly kind: "like";
  readonly field: ScalarField;
  readonly match: LikeMatch;
  /** The literal text to find (or a column's text); the compiler escapes `%`, `_` and `\`. */
  readonly value: string | ColumnRef;
  readonly insensitive: boolean;
}
export interface JsonNode {
  readonly kind: "json";
  readonly field: ScalarField;
  /** Keys (or array indexes as digits) from the column's root; empty = the whole value. */
  readonly path: readonly string[];
  readonly op: JsonOp;
  readonly value: JsonValue;
  /** For the `string_*` operators. */
  readonly insensitive: boolean;
}
export interface RelationNode {
  readonly kind: "relation";
  /** The related model. */
  readonly target: string;
  /** The columns the related rows are joined on. */
  readonly join: readonly JoinColumns[];
  readonly quantifier: Quantifier;
  readonly filter: FilterNode;
}

export const TRUE: ConstantNode = Object.freeze({ kind: "constant", value: true });
export const FALSE: ConstantNode = Object.freeze({ kind: "constant", value: false });

/** All of `filters`; flattens nested ANDs and drops TRUE. Empty = TRUE. */
export function and(...filters: FilterNode[]): FilterNode {
  const flat = filters.flatMap((f) => (f.kind === "and" ? f.filters : [f])).filter((f) => f !== TRUE);
  if (flat.some((f) => f === FALSE)) return FALSE;
  if (flat.length === 0) return TRUE;
  return flat.length === 1 ? flat[0]! : Object.freeze({ kind: "and", filters: Object.freeze(flat) });
}

/** Any of `filters`; flattens nested ORs and drops FALSE. Empty = FALSE. */
export function or(...filters: FilterNode[]): FilterNode {
  const flat = filters.flatMap((f) => (f.kind === "or" ? f.filters : [f])).filter((f) => f !== FALSE);
  if (flat.some((f) => f === TRUE)) return TRUE;
  if (flat.length === 0) return FALSE;
  return flat.length === 1 ? flat[0]! : Object.freeze({ kind: "or", filters: Object.freeze(flat) });
}

/** The negation; folds constants. */
export function not(filter: FilterNode): FilterNode {
  if (filter.kind === "constant") return filter.value ? FALSE : TRUE;
  return Object.freeze({ kind: "not", filter });
}

/** `column op value`; `insensitive` compares lower-cased text. */
export function compare(
  field: ScalarField,
  op: CompareOp,
  value: ScalarValue | ColumnRef,
  insensitive = false,
): CompareNode {
  return Object.freeze({ kind: "compare", field, op, value, insensitive });
}

/** `in: []` is FALSE and `notIn: []` is TRUE, as in Prisma. */
export function inList(field: ScalarField, values: readonly ScalarValue[], negated = false, insensitive = false) {
  if (values.length === 0) return negated ? TRUE : FALSE;
  return Object.freeze({ kind: "in", field, values: Object.freeze([...values]), negated, insensitive }) as InNode;
}

/** A reference to `field`'s column in the row being filtered. */
export function columnRef(field: ScalarField): ColumnRef {
  return Object.freeze({ kind: "column", field });
}

export const isColumnRef = (value: unknown): value is ColumnRef =>
  typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "column";

/** `column IS [NOT] NULL` */
export function isNull(field: ScalarField, negated = false): NullNode {
  return Object.freeze({ kind: "isNull", field, negated });
}

/** `contains`/`startsWith`/`endsWith` a literal text (wildcards in it are escaped). */
export function like(field: ScalarField, match: LikeMatch, value: string | ColumnRef, insensitive = false): LikeNode {
  return Object.freeze({ kind: "like", field, match, value, insensitive });
}

/** A JSON filter at `path` of a Json column (see compile-json.ts for the SQL). */
export function json(
  field: ScalarField,
  path: readonly string[],
  op: JsonOp,
  value: JsonValue,
  insensitive = false,
): JsonNode {
  return Object.freeze({ kind: "json", field, path: Object.freeze([...path]), op, value, insensitive });
}

/**
 * A filter on related rows: `is`/`isNot` for a to-one relation (`Annotation.document`),
 * `some`/`every`/`none` for a to-many one (`Document.annotations`).
 */
export function relation(
  target: { readonly target: string; readonly join: readonly JoinColumns[] },
  quantifier: Quantifier,
  filter: FilterNode,
): RelationNode {
  return Object.freeze({ kind: "relation", target: target.target, join: target.join, quantifier, filter });
}
