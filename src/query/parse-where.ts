import { InvalidFilterError } from "../errors.ts";
import { isPlainObject } from "../plain-object.ts";
import type { StoreSchema, TableMeta } from "../schema/model-meta.ts";
import type { RelationField, RelationMap } from "../schema/relations.ts";
import type { FilterNode, Quantifier } from "./filter-nodes.ts";
import { and, not, or, relation, TRUE } from "./filter-nodes.ts";
import type { ParseContext, Parsed, Path } from "./parse-context.ts";
import { atRoot, countNode, EMPTY_AND, EMPTY_OR, NO_FILTER, nonEmpty, report, showKey } from "./parse-context.ts";
import { parseFieldValue } from "./parse-field-filter.ts";
import { parseJsonFilter } from "./parse-json-filter.ts";
import { describeValue } from "./where-schema.ts";

/** Options for {@link parseWhere}. */
export interface ParseWhereOptions {
  /** Relation fields; default the schema's own (`schema.relations`). */
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
  model: TableMeta,
  schema: StoreSchema,
  where: unknown,
  options: ParseWhereOptions = {},
): FilterNode {
  const ctx: ParseContext = {
    schema,
    relations: options.relations ?? schema.relations,
    issues: [],
    size: { nodes: 0, likes: 0 },
  };
  const node = where === undefined ? TRUE : atRoot(parseObject(ctx, model, where, options.path ?? ["where"]));
  if (ctx.issues.length > 0) throw new InvalidFilterError(ctx.issues);
  return node;
}

/**
 * Longest path into a filter (keys and array indexes): about 100 levels of AND/OR/NOT or
 * relations. Deeper filters (or a `where` that contains itself) would overflow the stack.
 */
export const MAX_FILTER_PATH = 200;

function parseObject(ctx: ParseContext, model: TableMeta, where: unknown, path: Path, relationRoot = false): Parsed {
  if (path.length > MAX_FILTER_PATH) {
    return report(ctx, path.slice(0, 3), `nested deeper than ${MAX_FILTER_PATH} keys (or it contains itself)`);
  }
  if (!isPlainObject(where))
    return report(ctx, path, `expected a ${model.name} where object, received ${describeValue(where)}`);
  countNode(ctx, path);
  const parts: Parsed[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    const at = [...path, key];
    if (key === "AND" || key === "OR" || key === "NOT") {
      parts.push(parseLogical(ctx, model, key, value, at));
      continue;
    }
    const rel = ctx.relations.get(model.name)?.get(key);
    if (rel) {
      parts.push(parseRelation(ctx, key, rel, value, at));
      continue;
    }
    const field = model.fields.get(key);
    if (!field) {
      const known = [...model.fields.keys(), ...(ctx.relations.get(model.name)?.keys() ?? []), "AND", "OR", "NOT"];
      parts.push(report(ctx, at, `unknown field ${showKey(key)} on ${model.name} (fields: ${known.join(", ")})`));
      continue;
    }
    if (field.isList) {
      parts.push(report(ctx, at, `list field "${key}" cannot be filtered in a search`));
      continue;
    }
    parts.push(
      field.type === "Json" ? parseJsonFilter(ctx, field, value, at) : parseFieldValue(ctx, model, field, value, at),
    );
  }
  // A where with one key is that key's filter, so `{ OR: [] }` is empty (dropped from a list
  // around it). Prisma 6.19 drops an empty OR next to other keys too (`{ a, OR: [] }` is `a`),
  // except at the root of a relation filter, where the keys are ANDed as they are.
  const filters = parts.filter((p) => p !== NO_FILTER);
  if (filters.length === 1) return filters[0]!;
  return relationRoot && filters.length > 0 ? and(...filters.map(atRoot)) : combine("AND", filters);
}

/** AND/OR/NOT of the parts that are not empty; empty if all are. `NOT: [a, b]`: none holds. */
function combine(key: "AND" | "OR" | "NOT", parts: readonly Parsed[]): Parsed {
  const kept = nonEmpty(parts);
  if (kept.length === 0) return key === "OR" ? EMPTY_OR : EMPTY_AND;
  if (key === "AND") return and(...kept);
  if (key === "OR") return or(...kept);
  return and(...kept.map(not));
}

/** AND and NOT take one where object or an array of them; OR only an array, as in Prisma. */
function parseLogical(ctx: ParseContext, model: TableMeta, key: "AND" | "OR" | "NOT", value: unknown, path: Path) {
  if (key === "OR" && !Array.isArray(value)) {
    return report(ctx, path, `OR takes an array of ${model.name} where objects, received ${describeValue(value)}`);
  }
  const items = Array.isArray(value)
    ? value.map((w, i) => parseObject(ctx, model, w, [...path, i]))
    : [parseObject(ctx, model, value, path)];
  return combine(key, items);
}

const TO_ONE: readonly Quantifier[] = ["is", "isNot"];
const TO_MANY: readonly Quantifier[] = ["some", "every", "none"];

/**
 * `document: { label: "x" }`, `document: { is, isNot }`, `annotations: { some, every, none }`.
 * The filter inside a quantifier stands alone (an empty one is TRUE); `document: {}` is empty.
 */
function parseRelation(ctx: ParseContext, name: string, rel: RelationField, value: unknown, path: Path): Parsed {
  const target = ctx.schema.tables.get(rel.target)!;
  if (!isPlainObject(value))
    return report(ctx, path, `expected a relation filter object, received ${describeValue(value)}`);
  const keys = Object.keys(value).filter((k) => value[k] !== undefined);
  if (keys.length === 0) return NO_FILTER;
  const quantifiers = rel.toMany ? TO_MANY : TO_ONE;
  if (!rel.toMany && !keys.every((k) => quantifiers.includes(k as Quantifier))) {
    return relation(rel, "is", atRoot(parseObject(ctx, target, value, path, true)));
  }
  const nodes = keys.map((k) => {
    if (!quantifiers.includes(k as Quantifier)) {
      return report(
        ctx,
        [...path, k],
        `unknown operator ${showKey(k)} for relation "${name}" (supported: ${quantifiers.join(", ")})`,
      );
    }
    const inner = atRoot(parseObject(ctx, target, value[k], [...path, k], true));
    return relation(rel, k as Quantifier, inner);
  });
  return and(...nodes);
}
