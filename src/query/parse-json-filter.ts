import { isPlainObject } from "../plain-object.ts";
import type { ScalarField } from "../schema/model-meta.ts";
import type { FilterNode, JsonOp, JsonValue } from "./filter-nodes.ts";
import { and, json, not, or } from "./filter-nodes.ts";
import type { ParseContext, Parsed, Path } from "./parse-context.ts";
import { countNode, NO_FILTER, report, showKey } from "./parse-context.ts";
import type { NullSentinel } from "./where-schema.ts";
import { checkJson, checkString, describeValue, readNullSentinel } from "./where-schema.ts";

const OPERATORS: readonly JsonOp[] = [
  "equals",
  "not",
  "gt",
  "gte",
  "lt",
  "lte",
  "string_contains",
  "string_starts_with",
  "string_ends_with",
  "array_contains",
  "array_starts_with",
  "array_ends_with",
];
const KEYS = ["path", "mode", ...OPERATORS];

/**
 * Prisma's JSON filter: `metadata: { path: ["a", "b"], equals | not | gt | ... : value }`.
 * Path segments are values (bound as parameters), so any key text is allowed in them.
 */
export function parseJsonFilter(ctx: ParseContext, field: ScalarField, filter: unknown, path: Path): Parsed {
  if (!isPlainObject(filter)) {
    return report(
      ctx,
      path,
      `expected a JSON filter object like { path: ["key"], equals: value }, received ${describeValue(filter)}`,
    );
  }
  const jsonPath = readPath(ctx, filter.path, [...path, "path"]);
  const insensitive = readMode(ctx, filter.mode, [...path, "mode"]);
  const nodes: FilterNode[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || key === "path" || key === "mode") continue;
    const at = [...path, key];
    countNode(ctx, at, key.startsWith("string_"));
    if (!OPERATORS.includes(key as JsonOp)) {
      nodes.push(
        report(
          ctx,
          at,
          `unknown operator ${showKey(key)} for Json field "${field.name}" (supported: ${KEYS.join(", ")})`,
        ),
      );
      continue;
    }
    const op = key as JsonOp;
    const sentinel = readNullSentinel(value);
    if (sentinel && (op === "equals" || op === "not")) {
      if (jsonPath) nodes.push(nullFilter(field, jsonPath, sentinel, op === "not"));
      continue;
    }
    const operand = readOperand(ctx, op, value, at);
    if (operand !== undefined && jsonPath) nodes.push(json(field, jsonPath, op, operand.value, insensitive));
  }
  return nodes.length === 0 ? NO_FILTER : and(...nodes);
}

/**
 * `equals`/`not` with Prisma's sentinels: `DbNull` is a database NULL (the column, or a missing
 * path), `JsonNull` the JSON value null, `AnyNull` either.
 */
function nullFilter(field: ScalarField, path: readonly string[], sentinel: NullSentinel, negated: boolean) {
  const dbNull = not(json(field, path, "exists", null));
  const jsonNull = json(field, path, "equals", null);
  const node = sentinel === "DbNull" ? dbNull : sentinel === "JsonNull" ? jsonNull : or(dbNull, jsonNull);
  if (!negated) return node;
  // `not: JsonNull` is `<> 'null'` (NULL for a missing path), as Prisma compiles it.
  return sentinel === "DbNull"
    ? not(dbNull)
    : sentinel === "JsonNull"
      ? json(field, path, "not", null)
      : and(not(dbNull), json(field, path, "not", null));
}

function readPath(ctx: ParseContext, value: unknown, path: Path): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    report(ctx, path, `expected an array of keys, received ${describeValue(value)}`);
    return undefined;
  }
  let ok = true;
  value.forEach((segment, i) => {
    const result = checkString(segment);
    if (!result.ok) {
      report(ctx, [...path, i], result.message);
      ok = false;
    }
  });
  return ok ? (value as string[]) : undefined;
}

function readMode(ctx: ParseContext, mode: unknown, path: Path): boolean {
  if (mode === undefined || mode === "default") return false;
  if (mode === "insensitive") return true;
  report(ctx, path, `expected "default" or "insensitive", received ${describeValue(mode)}`);
  return false;
}

function readOperand(ctx: ParseContext, op: JsonOp, value: unknown, path: Path): { value: JsonValue } | undefined {
  const fail = (message: string) => {
    report(ctx, path, message);
    return undefined;
  };
  if (readNullSentinel(value)) return fail(`Prisma's null sentinels go with equals or not, not ${op}`);
  switch (op) {
    case "string_contains":
    case "string_starts_with":
    case "string_ends_with": {
      const s = checkString(value);
      return s.ok ? { value: s.value } : fail(s.message);
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "string") {
        const j = checkJson(value);
        return j.ok ? { value: j.value } : fail(j.message);
      }
      return fail(`expected number or string, received ${describeValue(value)}`);
    default: {
      const j = checkJson(value);
      return j.ok ? { value: j.value } : fail(j.message);
    }
  }
}
