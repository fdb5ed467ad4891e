import type { ScalarField } from "../schema/model-meta.ts";
import type { FilterNode, JsonOp, JsonValue } from "./filter-nodes.ts";
import { and, json } from "./filter-nodes.ts";
import type { ParseContext, Path } from "./parse-context.ts";
import { report, showKey } from "./parse-context.ts";
import { checkJson, checkString, describeValue, isPlainObject } from "./where-schema.ts";

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
export function parseJsonFilter(ctx: ParseContext, field: ScalarField, filter: unknown, path: Path): FilterNode {
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
    const operand = readOperand(ctx, op, value, at, jsonPath?.length ?? 0);
    if (operand !== undefined && jsonPath) nodes.push(json(field, jsonPath, op, operand.value, insensitive));
  }
  return and(...nodes);
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

function readOperand(
  ctx: ParseContext,
  op: JsonOp,
  value: unknown,
  path: Path,
  depth: number,
): { value: JsonValue } | undefined {
  const fail = (message: string) => {
    report(ctx, path, message);
    return undefined;
  };
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
      if (value === null && depth === 0 && (op === "equals" || op === "not")) {
        return fail("null needs a path: it matches a JSON null at that path (database NULL is not supported here)");
      }
      const j = checkJson(value);
      return j.ok ? { value: j.value } : fail(j.message);
    }
  }
}
