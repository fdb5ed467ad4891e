import type { MetadataFilters } from "@llamaindex/core/vector-store";
import type { ValidationIssue } from "../errors.ts";
import { InvalidFilterError } from "../errors.ts";
import { isPlainObject } from "../plain-object.ts";
import type { FilterNode } from "../query/filter-nodes.ts";
import { and, or, TRUE } from "../query/filter-nodes.ts";
import { showKey } from "../query/parse-context.ts";
import { MAX_FILTER_PATH } from "../query/parse-where.ts";
import { describeValue, textProblem } from "../query/where-schema.ts";
import type { ScalarField } from "../schema/model-meta.ts";
import type { Fail, Path } from "./filter-operators.ts";
import { columnFilter, metadataFilter } from "./filter-operators.ts";
import type { NodeModel } from "./store-models.ts";

/** A filter value: core's `MetadataFilterValue`, plus booleans (and mixed lists) that JSON metadata holds. */
export type HybridFilterValue = string | number | boolean | readonly (string | number | boolean)[];

/** The operators this store understands: all of core's `FilterOperator`, plus Python's `text_match_insensitive`. */
export type HybridFilterOperator =
  | "=="
  | "!="
  | ">"
  | "<"
  | ">="
  | "<="
  | "in"
  | "nin"
  | "any"
  | "all"
  | "contains"
  | "text_match"
  | "text_match_insensitive"
  | "is_empty";

/**
 * One condition: core's `MetadataFilter`, widened. `key` is a top-level metadata key, or one of
 * the node model's columns: `documentId` (or the ref doc key's own name) and `label`, `page`
 * when the model has them.
 *
 * @example
 * ```ts
 * const f: HybridMetadataFilter = { key: "year", operator: ">=", value: 2020 };
 * ```
 */
export interface HybridMetadataFilter {
  /** A top-level metadata key, or `documentId`, `label`, `page` (the node model's columns). */
  key: string;
  /** What to compare with; a list for `in`/`nin`/`any`/`all`, none for `is_empty`. */
  value?: HybridFilterValue | null | undefined;
  /** How to compare. */
  operator: HybridFilterOperator;
}

/**
 * Core's `MetadataFilters`, widened so a group can hold groups (`(a AND (b OR c))`).
 *
 * @example
 * ```ts
 * const filters: HybridMetadataFilters = {
 *   condition: "and",
 *   filters: [
 *     { key: "lang", operator: "==", value: "en" },
 *     { condition: "or", filters: [{ key: "year", operator: ">", value: 2020 }, { key: "pinned", operator: "==", value: true }] },
 *   ],
 * };
 * ```
 */
export interface HybridMetadataFilters {
  /** Conditions and nested groups. */
  filters: readonly (HybridMetadataFilter | HybridMetadataFilters)[];
  /** How `filters` combine. Default `"and"`. */
  condition?: "and" | "or" | undefined;
}

/** Keys that name node columns instead of metadata keys (the ref doc key also by its field name). */
const COLUMN_KEYS = ["label", "page", "documentId"] as const;
const OPERATORS: readonly HybridFilterOperator[] = [
  "==",
  "!=",
  ">",
  "<",
  ">=",
  "<=",
  "in",
  "nin",
  "any",
  "all",
  "contains",
  "text_match",
  "text_match_insensitive",
  "is_empty",
];

/**
 * Validates LlamaIndex metadata filters and turns them into the library's {@link FilterNode}, the
 * same representation a Prisma `where` becomes; one compiler makes SQL of both. Keys are never
 * SQL: a metadata key is a JSON path segment, bound as a parameter. Every problem is reported at
 * once as an {@link InvalidFilterError} with paths like `filters.filters.1.value`.
 *
 * @example
 * ```ts
 * const node = parseMetadataFilters({ filters: [{ key: "page", operator: ">", value: 2 }] }, models.nodes);
 * ```
 */
export function parseMetadataFilters(
  input: MetadataFilters | HybridMetadataFilters | undefined,
  nodes: NodeModel,
): FilterNode {
  if (input === undefined || input === null) return TRUE;
  const issues: ValidationIssue[] = [];
  const node = parseGroup(input, nodes, issues, ["filters"]);
  if (issues.length > 0) throw new InvalidFilterError(issues);
  return node;
}

function parseGroup(group: unknown, nodes: NodeModel, issues: ValidationIssue[], path: Path): FilterNode {
  const fail = (at: Path, message: string) => {
    issues.push({ path: at, message });
    return TRUE;
  };
  if (path.length > MAX_FILTER_PATH) {
    return fail(path.slice(0, 3), `nested deeper than ${MAX_FILTER_PATH} keys (or it contains itself)`);
  }
  if (!isPlainObject(group) || !Array.isArray(group.filters)) {
    return fail(path, `expected { filters: [...], condition? }, received ${describeValue(group)}`);
  }
  const condition = group.condition ?? "and";
  if (condition !== "and" && condition !== "or") {
    fail(
      [...path, "condition"],
      `expected "and" or "or", received ${JSON.stringify(condition) ?? describeValue(condition)}`,
    );
  }
  const parts = group.filters.map((item: unknown, i: number) => {
    const at = [...path, "filters", i];
    if (isPlainObject(item) && "filters" in item) return parseGroup(item, nodes, issues, at);
    return parseFilter(item, nodes, (p, m) => fail([...at, ...p], m));
  });
  // An empty group restricts nothing, whatever its condition (LlamaIndex passes `{ filters: [] }`).
  if (parts.length === 0) return TRUE;
  return condition === "or" ? or(...parts) : and(...parts);
}

function parseFilter(item: unknown, nodes: NodeModel, fail: Fail): FilterNode {
  if (!isPlainObject(item)) return fail([], `expected { key, operator, value }, received ${describeValue(item)}`);
  const { key, operator, value } = item;
  if (typeof key !== "string" || key.length === 0) {
    return fail(
      ["key"],
      `expected a non-empty metadata key or one of ${COLUMN_KEYS.join(", ")}, received ${describeValue(key)}`,
    );
  }
  const badKey = textProblem(key);
  if (badKey) return fail(["key"], badKey);
  if (typeof operator !== "string" || !OPERATORS.includes(operator as HybridFilterOperator)) {
    const shown = typeof operator === "string" ? showKey(operator) : describeValue(operator);
    return fail(["operator"], `unknown operator ${shown} (supported: ${OPERATORS.join(", ")})`);
  }
  const op = operator as HybridFilterOperator;
  if (op !== "is_empty" && (value === undefined || value === null)) {
    return fail(["value"], `operator "${op}" needs a value, received ${describeValue(value)}`);
  }
  const column = columnField(nodes, key);
  return column ? columnFilter(column, op, value, fail) : metadataFilter(nodes.metadata, key, op, value, fail);
}

function columnField(nodes: NodeModel, key: string): ScalarField | undefined {
  if (key === "documentId" || key === nodes.refDocKey.name) return nodes.refDocKey;
  if (key === "label") return nodes.label;
  if (key === "page") return nodes.page;
  return undefined;
}
