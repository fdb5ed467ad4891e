import type { SqlParams } from "../sql/sql-params.ts";
import type { JsonNode, JsonValue } from "./filter-nodes.ts";
import { likePattern } from "./like-pattern.ts";

const LIKE: Readonly<Record<string, "contains" | "startsWith" | "endsWith">> = {
  string_contains: "contains",
  string_starts_with: "startsWith",
  string_ends_with: "endsWith",
};
const RANGE: Readonly<Record<string, string>> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };

/**
 * Compiles a JSON filter on `column` (a jsonb column reference).
 *
 * Equality on a primitive becomes containment, `column @> '{"a":{"b":5}}'`, which the GIN
 * jsonb_path_ops index serves and which is exact for primitives (nested arrays do not "contain"
 * a primitive; only top-level ones do). Paths with array-index segments ("0") cannot be written
 * as containment, so they use `#>` like Prisma does. Ordering compares jsonb values of the
 * operand's own type only (numbers numerically), as Prisma does.
 *
 * Under NOT the SQL is Prisma's own: NULL where the path is missing (containment would say
 * FALSE, and NOT would keep the row), and with Prisma's reverse flag set, typed tests written
 * as `(test OR jsonb_typeof(..) <> type)`, so NOT keeps only values of the type that fail it.
 */
export function compileJson(
  node: JsonNode,
  column: string,
  params: SqlParams,
  polarity: { readonly negated: boolean; readonly reversed: boolean } = { negated: false, reversed: false },
): string {
  const { negated, reversed } = polarity;
  const { path, value, op } = node;
  const containable = path.length > 0 && !path.some((segment) => /^-?\d+$/.test(segment));
  // Each use binds its own copy: an unused parameter would fail ("could not determine data type").
  const at = () => (path.length === 0 ? column : `(${column} #> ${params.param(path, "text[]")})`);
  const json = (v: JsonValue) => params.param(JSON.stringify(v), "jsonb");
  const contains = (v: JsonValue) => `${column} @> ${json(nest(path, v))}`;
  // Parameters are numbered in the order the SQL reads them.
  const typed = (type: string, test: () => string) => {
    if (!reversed) {
      const guard = `jsonb_typeof(${at()}) = '${type}'`;
      return `(${guard} AND ${test()})`;
    }
    const t = test();
    return `(${t} OR jsonb_typeof(${at()}) <> '${type}')`;
  };

  switch (op) {
    case "equals":
      if (!containable || negated || reversed) return `${at()} = ${json(value)}`;
      if (isPrimitive(value)) return contains(value);
      return `(${contains(value)} AND ${at()} = ${json(value)})`;
    case "not":
      return `${at()} <> ${json(value)}`;
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      return typed(typeof value === "number" ? "number" : "string", () => `${at()} ${RANGE[op]} ${json(value)}`);
    }
    case "string_contains":
    case "string_starts_with":
    case "string_ends_with": {
      return typed("string", () => {
        const text = path.length === 0 ? `(${column} #>> '{}')` : `(${column} #>> ${params.param(path, "text[]")})`;
        const pattern = params.param(likePattern(LIKE[op]!, value as string));
        return `${text} ${node.insensitive ? "ILIKE" : "LIKE"} ${pattern}`;
      });
    }
    case "array_contains":
      // A top-level jsonb array "contains" a primitive; under a key it must be wrapped in [ ].
      if (containable && !negated && !reversed && (Array.isArray(value) || isPrimitive(value))) {
        return contains(Array.isArray(value) ? value : [value]);
      }
      return typed("array", () => `${at()} @> ${json(value)}`);
    case "array_starts_with":
    case "array_ends_with":
      return typed("array", () => `(${at()} -> ${op === "array_starts_with" ? "0" : "-1"}) = ${json(value)}`);
    case "exists":
      return `${at()} IS NOT NULL`;
  }
}

const isPrimitive = (v: JsonValue): boolean => v === null || typeof v !== "object";

/** `["a", "b"], 5` -> `{ "a": { "b": 5 } }` */
function nest(path: readonly string[], value: JsonValue): JsonValue {
  return path.reduceRight<JsonValue>((inner, key) => ({ [key]: inner }), value);
}
