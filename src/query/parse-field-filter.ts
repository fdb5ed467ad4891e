import { isPlainObject } from "../plain-object.ts";
import type { ScalarField, ScalarType, TableMeta } from "../schema/model-meta.ts";
import type { ColumnRef, CompareOp, FilterNode, LikeMatch, ScalarValue } from "./filter-nodes.ts";
import { and, columnRef, compare, inList, isNull, like, not } from "./filter-nodes.ts";
import type { ParseContext, Parsed, Path } from "./parse-context.ts";
import { countNode, NO_FILTER, nonEmpty, report, showKey } from "./parse-context.ts";
import { checkScalar, describeValue, readFieldRef } from "./where-schema.ts";

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

/** Where one field filter is parsed: its model (for field references) and the field. */
interface FieldScope {
  readonly ctx: ParseContext;
  readonly model: TableMeta;
  readonly field: ScalarField;
}

/** `field: value`, `field: null` or `field: { ...operators }` for a non-Json scalar field. */
export function parseFieldValue(
  ctx: ParseContext,
  model: TableMeta,
  field: ScalarField,
  value: unknown,
  path: Path,
): Parsed {
  const scope = { ctx, model, field };
  if (value === null) return nullFilter(scope, path, false);
  if (isPlainObject(value)) return parseFieldFilter(scope, value, path, false, false);
  return operand(scope, "=", value, path, false);
}

/**
 * The operators of one filter object, ANDed. Inside `not: { ... }` (`negated`) Prisma negates
 * each operator on its own (`not: { gt: 1, lt: 5 }` is `<= 1 AND >= 5`), except a `not` with a
 * value or null, which stays as it is (`not: { not: 3 }` is `<> 3`); `not: { not: { ... } }`
 * negates twice. Nested `not` objects take no `mode`: they inherit it, as in Prisma.
 */
function parseFieldFilter(
  scope: FieldScope,
  filter: Record<string, unknown>,
  path: Path,
  negated: boolean,
  inheritedInsensitive: boolean,
): Parsed {
  const { ctx, field } = scope;
  const type = field.type as Exclude<ScalarType, "Json">;
  const allowed = OPERATORS[type];
  const nested = path.at(-1) === "not";
  if (nested && filter.mode !== undefined) {
    report(ctx, [...path, "mode"], "mode goes on the outer filter, next to `not`; a nested `not` inherits it");
  }
  const insensitive =
    (nested ? undefined : readMode(ctx, field, filter.mode, [...path, "mode"])) ?? inheritedInsensitive;
  const parts: Parsed[] = [];
  const negate = (node: FilterNode) => (negated ? not(node) : node);
  for (const [op, value] of Object.entries(filter)) {
    if (value === undefined || op === "mode") continue;
    const at = [...path, op];
    countNode(ctx, at, op === "contains" || op === "startsWith" || op === "endsWith");
    if (!allowed.includes(op)) {
      parts.push(
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
        parts.push(negate(value === null ? nullFilter(scope, at, false) : operand(scope, "=", value, at, insensitive)));
        break;
      case "not":
        if (value === null) parts.push(nullFilter(scope, at, true));
        else if (isPlainObject(value)) parts.push(parseFieldFilter(scope, value, at, !negated, insensitive));
        else if (readFieldRef(value))
          parts.push(
            report(ctx, at, "not takes a value or a filter object, not a field reference (Prisma refuses it too)"),
          );
        else parts.push(operand(scope, "<>", value, at, insensitive));
        break;
      case "in":
      case "notIn":
        parts.push(negate(list(scope, value, at, op === "notIn", insensitive)));
        break;
      case "contains":
      case "startsWith":
      case "endsWith":
        parts.push(negate(pattern(scope, op, value, at, insensitive)));
        break;
      default:
        parts.push(negate(operand(scope, RANGE[op]!, value, at, insensitive)));
    }
  }
  const kept = nonEmpty(parts);
  return kept.length === 0 ? NO_FILTER : and(...kept);
}

/** IS NULL (IS NOT NULL when `negated`) on an optional field; a required one never holds null, and Prisma refuses the filter. */
function nullFilter(scope: FieldScope, path: Path, negated: boolean): FilterNode {
  const { ctx, field } = scope;
  if (field.nullable) return isNull(field, negated);
  return report(ctx, path, `expected ${field.type.toLowerCase()}, received null ("${field.name}" is required)`);
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

/** A value of the field's type, or a reference to another field of the same model and type. */
function checked(scope: FieldScope, value: unknown, path: Path, refs = true): ScalarValue | ColumnRef | undefined {
  const { ctx, model, field } = scope;
  const ref = readFieldRef(value);
  if (ref) {
    const target = model.fields.get(ref.name);
    if (!refs) report(ctx, path, "a field reference cannot be a list (in/notIn take an array of values)");
    else if (ref.modelName !== model.name || !target) {
      report(ctx, path, `field reference ${ref.modelName}.${ref.name} is not a field of ${model.name}`);
    } else if (target.type !== field.type || target.isList) {
      report(
        ctx,
        path,
        `field reference ${model.name}.${ref.name} is ${target.type}, "${field.name}" is ${field.type}`,
      );
    } else return columnRef(target);
    return undefined;
  }
  const result = checkScalar(field.type, value);
  if (result.ok) return result.value;
  report(ctx, path, result.message);
  return undefined;
}

function operand(scope: FieldScope, op: CompareOp, value: unknown, path: Path, insensitive: boolean): FilterNode {
  const v = checked(scope, value, path);
  return v === undefined ? and() : compare(scope.field, op, v, insensitive);
}

/** `in`/`notIn`: an array of values; `null` is Prisma's IS NULL / IS NOT NULL. */
function list(scope: FieldScope, value: unknown, path: Path, negated: boolean, insensitive: boolean): FilterNode {
  const { ctx, field } = scope;
  if (value === null) return nullFilter(scope, path, negated);
  if (readFieldRef(value)) {
    return report(ctx, path, "a field reference cannot be a list (in/notIn take an array of values)");
  }
  if (!Array.isArray(value)) return report(ctx, path, `expected array, received ${describeValue(value)}`);
  const values = value.map((v, i) => checked(scope, v, [...path, i], false));
  if (values.some((v) => v === undefined)) return and();
  return inList(field, values as ScalarValue[], negated, insensitive);
}

function pattern(scope: FieldScope, match: LikeMatch, value: unknown, path: Path, insensitive: boolean): FilterNode {
  const v = checked(scope, value, path);
  return typeof v === "string" || (typeof v === "object" && "kind" in v)
    ? like(scope.field, match, v as string | ColumnRef, insensitive)
    : and();
}
