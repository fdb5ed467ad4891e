import { InvalidFilterError } from "../errors.ts";
import type { ModelMeta, StoreSchema } from "../schema/model-meta.ts";
import type { FilterNode, Quantifier } from "./filter-nodes.ts";
import { and, not, or, relation, TRUE } from "./filter-nodes.ts";
import type { ParseContext, Path } from "./parse-context.ts";
import { report, showKey } from "./parse-context.ts";
import { parseFieldValue } from "./parse-field-filter.ts";
import { parseJsonFilter } from "./parse-json-filter.ts";
import type { RelationField, RelationMap } from "./relations.ts";
import { DEFAULT_RELATIONS } from "./relations.ts";
import { describeValue, isPlainObject } from "./where-schema.ts";

/** Options for {@link parseWhere}. */
export interface ParseWhereOptions {
  /** Relation field names; default those of prisma-hybrid-store's schema (`document`, `annotations`). */
  relations?: RelationMap;
  /** Where the filter sits in the caller's arguments, for messages. Default `["where"]`. */
  path?: Path;
}

/**
 * Validates a Prisma-style `where` object against the model and turns it into a {@link FilterNode}.
 * Every field name is resolved against the schema; anything unknown or mistyped is reported with
 * its path (all problems at once) as an {@link InvalidFilterError}, before any SQL exists.
 *
 * @example
 * ```ts
 * const node = parseWhere(schema.Annotation, schema, { page: { gte: 2 }, document: { label: "contract" } });
 * ```
 */
export function parseWhere(
  model: ModelMeta,
  schema: StoreSchema,
  where: unknown,
  options: ParseWhereOptions = {},
): FilterNode {
  const ctx: ParseContext = { schema, relations: options.relations ?? DEFAULT_RELATIONS, issues: [] };
  const node = where === undefined ? TRUE : parseObject(ctx, model, where, options.path ?? ["where"]);
  if (ctx.issues.length > 0) throw new InvalidFilterError(ctx.issues);
  return node;
}

/**
 * Longest path into a filter (keys and array indexes): about 100 levels of AND/OR/NOT or
 * relations. Deeper filters (or a `where` that contains itself) would overflow the stack.
 */
export const MAX_FILTER_PATH = 200;

function parseObject(ctx: ParseContext, model: ModelMeta, where: unknown, path: Path): FilterNode {
  if (path.length > MAX_FILTER_PATH) {
    return report(ctx, path.slice(0, 3), `nested deeper than ${MAX_FILTER_PATH} keys (or it contains itself)`);
  }
  if (!isPlainObject(where))
    return report(ctx, path, `expected a ${model.name} where object, received ${describeValue(where)}`);
  const nodes: FilterNode[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    const at = [...path, key];
    if (key === "AND" || key === "OR" || key === "NOT") {
      nodes.push(parseLogical(ctx, model, key, value, at));
      continue;
    }
    const rel = ctx.relations[model.name].get(key);
    if (rel) {
      nodes.push(parseRelation(ctx, key, rel, value, at));
      continue;
    }
    const field = model.fields.get(key);
    if (!field) {
      const known = [...model.fields.keys(), ...ctx.relations[model.name].keys(), "AND", "OR", "NOT"];
      nodes.push(report(ctx, at, `unknown field ${showKey(key)} on ${model.name} (fields: ${known.join(", ")})`));
      continue;
    }
    if (field.isList) {
      nodes.push(report(ctx, at, `list field "${key}" cannot be filtered in a search`));
      continue;
    }
    nodes.push(field.type === "Json" ? parseJsonFilter(ctx, field, value, at) : parseFieldValue(ctx, field, value, at));
  }
  return and(...nodes);
}

/** AND/OR/NOT take one where object or an array of them (empty AND = true, empty OR = false). */
function parseLogical(ctx: ParseContext, model: ModelMeta, key: "AND" | "OR" | "NOT", value: unknown, path: Path) {
  const items = Array.isArray(value)
    ? value.map((w, i) => parseObject(ctx, model, w, [...path, i]))
    : [parseObject(ctx, model, value, path)];
  if (key === "AND") return and(...items);
  if (key === "OR") return or(...items);
  // `NOT: [a, b]` means none of them holds, as in Prisma. An empty where (`NOT: {}`, or only
  // undefined values) is no condition at all there, as Prisma documents for undefined.
  const list = Array.isArray(value) ? value : [value];
  return and(...items.filter((_, i) => !isEmptyWhere(list[i])).map(not));
}

const isEmptyWhere = (w: unknown) => isPlainObject(w) && Object.values(w).every((v) => v === undefined);

const TO_ONE: readonly Quantifier[] = ["is", "isNot"];
const TO_MANY: readonly Quantifier[] = ["some", "every", "none"];

/** `document: { label: "x" }`, `document: { is, isNot }`, `annotations: { some, every, none }`. */
function parseRelation(ctx: ParseContext, name: string, rel: RelationField, value: unknown, path: Path): FilterNode {
  const target = ctx.schema[rel.target];
  if (!isPlainObject(value))
    return report(ctx, path, `expected a relation filter object, received ${describeValue(value)}`);
  const keys = Object.keys(value).filter((k) => value[k] !== undefined);
  const quantifiers = rel.toMany ? TO_MANY : TO_ONE;
  if (!rel.toMany && !keys.every((k) => quantifiers.includes(k as Quantifier))) {
    return relation(rel.target, "is", parseObject(ctx, target, value, path));
  }
  if (!rel.toMany && keys.length === 0) return relation(rel.target, "is", TRUE);
  const nodes = keys.map((k) => {
    if (!quantifiers.includes(k as Quantifier)) {
      return report(
        ctx,
        [...path, k],
        `unknown operator ${showKey(k)} for relation "${name}" (supported: ${quantifiers.join(", ")})`,
      );
    }
    return relation(rel.target, k as Quantifier, parseObject(ctx, target, value[k], [...path, k]));
  });
  return and(...nodes);
}
