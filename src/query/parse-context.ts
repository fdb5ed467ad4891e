import type { ValidationIssue } from "../errors.ts";
import type { StoreSchema } from "../schema/model-meta.ts";
import type { RelationMap } from "../schema/relations.ts";
import type { FilterNode } from "./filter-nodes.ts";
import { FALSE, TRUE } from "./filter-nodes.ts";

/** Where a value sits in the caller's arguments: `["where", "page", "gte"]`. */
export type Path = readonly (string | number)[];

/** State of one `parseWhere` call: what it resolves names against, and the problems found. */
export interface ParseContext {
  readonly schema: StoreSchema;
  readonly relations: RelationMap;
  readonly issues: ValidationIssue[];
  /** What the filter holds so far, against {@link FILTER_LIMITS}. */
  readonly size: { nodes: number; likes: number };
}

/**
 * The largest filter a search takes. PostgreSQL plans every term: `OR` of 20,000 `contains`
 * drove a server backend to 20 GB, and 2,000 ran the embedded database out of memory. Both
 * targets run the limits below; bigger sets belong in a table or an `in` list.
 */
export const FILTER_LIMITS = {
  /** Where objects, field filters and operators, at any depth. */
  nodes: 2_000,
  /** `contains`/`startsWith`/`endsWith` and JSON `string_*` terms (each a LIKE pattern to match). */
  likes: 256,
} as const;

/** Counts one part of the filter (a where object or an operator) against the size limit. */
export function countNode(ctx: ParseContext, path: Path, like = false): void {
  ctx.size.nodes++;
  if (like) ctx.size.likes++;
  if (ctx.size.nodes === FILTER_LIMITS.nodes + 1) {
    report(ctx, path.slice(0, 3), `filter too large: more than ${FILTER_LIMITS.nodes} conditions`);
  }
  if (like && ctx.size.likes === FILTER_LIMITS.likes + 1) {
    report(
      ctx,
      path.slice(0, 3),
      `filter too large: more than ${FILTER_LIMITS.likes} text-pattern conditions (contains, startsWith, endsWith, string_*)`,
    );
  }
}

/**
 * Prisma's "empty" filter: an AND/OR/NOT, a field filter or a relation filter with nothing in
 * it (`{}`, `OR: []`, `label: {}`, `page: { not: {} }`). Prisma 6.19+ drops it from the filter
 * around it, so `OR: [{ page: 1 }, {}]` means `page = 1` and `NOT: { label: {} }` means nothing;
 * alone, at the root of a `where` (or of a relation filter), it is TRUE, or FALSE for an OR.
 */
export interface EmptyFilter {
  readonly kind: "empty";
  readonly alone: FilterNode;
}

export const EMPTY_AND: EmptyFilter = Object.freeze({ kind: "empty", alone: TRUE });
export const EMPTY_OR: EmptyFilter = Object.freeze({ kind: "empty", alone: FALSE });
/**
 * A field, JSON or relation filter with no operator (`label: {}`, `page: { not: {} }`,
 * `document: {}`): Prisma makes no filter of it at all, so `{ source: {}, OR: [] }` is `OR: []`.
 */
export const NO_FILTER: EmptyFilter = Object.freeze({ kind: "empty", alone: TRUE });

/** A parsed part of a where: a filter, or Prisma's empty filter. */
export type Parsed = FilterNode | EmptyFilter;

/** The filter a parsed where stands for at a root (of the where or of a relation filter). */
export const atRoot = (p: Parsed): FilterNode => (p.kind === "empty" ? p.alone : p);

/** The parts that are not empty; an empty list if all are. */
export const nonEmpty = (parts: readonly Parsed[]): FilterNode[] =>
  parts.filter((p): p is FilterNode => p.kind !== "empty");

/** Records a problem and returns a placeholder node, so parsing goes on and reports them all. */
export function report(ctx: ParseContext, path: Path, message: string): FilterNode {
  ctx.issues.push({ path: [...path], message });
  return TRUE;
}

/** Keys shown in messages are user input: quote them so odd characters are visible, and cut long ones. */
export function showKey(key: string): string {
  return JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key);
}
