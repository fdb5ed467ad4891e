import type { ScalarField, ScalarType } from "../schema/model-meta.ts";
import type { CompareOp, FilterNode, LikeMatch, ScalarValue } from "./filter-nodes.ts";
import { and, compare, inList, isNull, like, not } from "./filter-nodes.ts";
import type { ParseContext, Path } from "./parse-context.ts";
import { report, showKey } from "./parse-context.ts";
import { checkScalar, describeValue, isPlainObject } from "./where-schema.ts";

const EQUALITY = ["equals", "not", "in", "notIn"] as const;
const ORDERED = [...EQUALITY, "lt", "lte", "gt", "gte"] as const;
const STRING = [...ORDERED, "contains", "startsWith", "endsWith", "mode"] as const;

/** The operators Prisma offers for each field type (Json has its own, see parse-json-filter). */
const OPERATORS: Readonly<Record<Exclude<ScalarType, "Json">, readonly string[]>> = {
  String: STRING,
  Int: ORDERED,
  Float: ORDERED,
  Decimal: ORDERED,
  BigInt: ORDERED,
  DateTime: ORDERED,
  Boolean: ["equals", "not"],
  Enum: EQUALITY,
};

const RANGE: Readonly<Record<string, CompareOp>> = { lt: "<", lte: "<=", gt: ">", gte: ">=" };

/** `field: value`, `field: null` or `field: { ...operators }` for a non-Json scalar field. */
export function parseFieldValue(ctx: ParseContext, field: ScalarField, value: unknown, path: Path): FilterNode {
  if (value === null) return isNull(field);
  if (isPlainObject(value)) return parseFieldFilter(ctx, field, value, path, false);
  return operand(ctx, field, "=", value, path, false);
}

function parseFieldFilter(
  ctx: ParseContext,
  field: ScalarField,
  filter: Record<string, unknown>,
  path: Path,
  inheritedInsensitive: boolean,
): FilterNode {
  const type = field.type as Exclude<ScalarType, "Json">;
  const allowed = OPERATORS[type];
  const insensitive = readMode(ctx, field, filter.mode, [...path, "mode"]) ?? inheritedInsensitive;
  const nodes: FilterNode[] = [];
  for (const [op, value] of Object.entries(filter)) {
    if (value === undefined || op === "mode") continue;
    const at = [...path, op];
    if (!allowed.includes(op)) {
      nodes.push(
        report(
          ctx,
          at,
          `unknown operator ${showKey(op)} for ${field.type} field "${field.name}" (supported: ${allowed.join(", ")})`,
        ),
      );
      continue;
    }
    switch (op) {
      case "equals":
        nodes.push(value === null ? isNull(field) : operand(ctx, field, "=", value, at, insensitive));
        break;
      case "not":
        if (value === null) nodes.push(isNull(field, true));
        else if (isPlainObject(value)) nodes.push(not(parseFieldFilter(ctx, field, value, at, insensitive)));
        else nodes.push(operand(ctx, field, "<>", value, at, insensitive));
        break;
      case "in":
      case "notIn":
        nodes.push(list(ctx, field, value, at, op === "notIn", insensitive));
        break;
      case "contains":
      case "startsWith":
      case "endsWith":
        nodes.push(pattern(ctx, field, op, value, at, insensitive));
        break;
      default:
        nodes.push(operand(ctx, field, RANGE[op]!, value, at, insensitive));
    }
  }
  return and(...nodes);
}

/** `mode: "insensitive"` (String fields only); undefined when absent. */
function readMode(ctx: ParseContext, field: ScalarField, mode: unknown, path: Path): boolean | undefined {
  if (mode === undefined) return undefined;
  if (field.type !== "String") {
    report(ctx, path, `mode is only for String fields, "${field.name}" is ${field.type}`);
    return undefined;
  }
  if (mode === "insensitive" || mode === "default") return mode === "insensitive";
  report(ctx, path, `expected "default" or "insensitive", received ${describeValue(mode)}`);
  return undefined;
}

function checked(ctx: ParseContext, field: ScalarField, value: unknown, path: Path): ScalarValue | undefined {
  const result = checkScalar(field.type, value);
  if (result.ok) return result.value;
  report(ctx, path, result.message);
  return undefined;
}

function operand(
  ctx: ParseContext,
  field: ScalarField,
  op: CompareOp,
  value: unknown,
  path: Path,
  insensitive: boolean,
) {
  const v = checked(ctx, field, value, path);
  return v === undefined ? and() : compare(field, op, v, insensitive);
}

function list(
  ctx: ParseContext,
  field: ScalarField,
  value: unknown,
  path: Path,
  negated: boolean,
  insensitive: boolean,
) {
  if (!Array.isArray(value)) return report(ctx, path, `expected array, received ${describeValue(value)}`);
  const values = value.map((v, i) => checked(ctx, field, v, [...path, i]));
  if (values.some((v) => v === undefined)) return and();
  return inList(field, values as ScalarValue[], negated, insensitive);
}

function pattern(
  ctx: ParseContext,
  field: ScalarField,
  match: LikeMatch,
  value: unknown,
  path: Path,
  insensitive: boolean,
) {
  const v = checked(ctx, field, value, path);
  return typeof v === "string" ? like(field, match, v, insensitive) : and();
}
