import { z } from "zod";
import { isPlainObject } from "../plain-object.ts";
import type { ScalarType } from "../schema/model-meta.ts";
import type { JsonValue, ScalarValue } from "./filter-nodes.ts";

/** What a filter operand of each field type must be, and how an error message names it. */
interface ValueRule {
  readonly expected: string;
  readonly schema: z.ZodType<ScalarValue>;
  /** A finer check of a value of the right type: a message when it is out of the column's range. */
  readonly range?: (value: ScalarValue) => string | undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why PostgreSQL cannot take a string as it is: a NUL character (text and jsonb cannot hold
 * it), or a lone UTF-16 surrogate (not encodable as UTF-8: the driver rejects it, or another one
 * would send U+FFFD and match other rows). Undefined when the string is fine.
 */
export function textProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "contains a NUL character";
  if (LONE_SURROGATE.test(s)) return "has a lone surrogate (not well-formed UTF-16)";
  return undefined;
}

/** Rejected here instead of failing in the database (see {@link textProblem}). */
const text = z.string().superRefine((s, ctx) => {
  const problem = textProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
/** Prisma also takes a space or a lower-case `t` between date and time, and a lower-case `z`. */
const isoDateTime = z
  .string()
  .transform((s) => s.replace(/^(\d{4}-\d\d-\d\d)[ t]/, "$1T").replace(/z$/, "Z"))
  .pipe(z.iso.datetime({ offset: true }))
  .transform((s) => new Date(s));
const decimalString = z.string().regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/);

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;
/**
 * Prisma's Int is a 32-bit integer: a larger whole number fails in the database ("out of range
 * for type integer", Prisma's P2020). A fraction is fine: it is compared as numeric.
 */
const int32 = (value: ScalarValue): string | undefined =>
  typeof value === "number" && Number.isInteger(value) && (value < INT_MIN || value > INT_MAX)
    ? `expected a number from ${INT_MIN} to ${INT_MAX} (Int is 32-bit), received ${value}`
    : undefined;

const RULES: Readonly<Record<Exclude<ScalarType, "Json">, ValueRule>> = {
  String: { expected: "string", schema: text },
  Enum: { expected: "string", schema: text },
  // Prisma sends a fraction to an Int column truncated (`page: 2.5` is `page = 2`).
  Int: { expected: "number", schema: z.number().transform((n) => Math.trunc(n) + 0), range: int32 },
  Float: { expected: "number", schema: z.number() },
  Decimal: { expected: "number or decimal string", schema: z.union([z.number(), decimalString]) },
  BigInt: { expected: "bigint or integer", schema: z.union([z.bigint(), z.number().int()]) },
  Boolean: { expected: "boolean", schema: z.boolean() },
  DateTime: { expected: "Date or ISO-8601 date-time string", schema: z.union([z.date(), isoDateTime]) },
};

/** The outcome of checking one operand: the value to use, or a zod-style message. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** Checks an operand against a scalar field type (`expected number, received string`). */
export function checkScalar(type: ScalarType, value: unknown): Checked<ScalarValue> {
  if (type === "Json") return { ok: false, message: "Json fields take a JSON filter object" };
  const rule = RULES[type];
  const result = rule.schema.safeParse(value);
  if (result.success) {
    const outOfRange = rule.range?.(result.data);
    return outOfRange ? { ok: false, message: outOfRange } : { ok: true, value: result.data };
  }
  const problem = typeof value === "string" ? textProblem(value) : undefined;
  if (problem) return { ok: false, message: problem };
  return { ok: false, message: `expected ${rule.expected}, received ${describeValue(value)}` };
}

const jsonSchema = z.json();

/** Checks a JSON operand: plain JSON only (no undefined, NaN, bigint, Date or class instances). */
export function checkJson(value: unknown): Checked<JsonValue> {
  try {
    if (jsonSchema.safeParse(value).success && isPlainJson(value)) return { ok: true, value: value as JsonValue };
  } catch (error) {
    // A value that contains itself, or nests deeper than the stack: not JSON either way.
    if (!(error instanceof RangeError)) throw error;
    return { ok: false, message: `expected a JSON value, received ${describeValue(value)} that is cyclic or too deep` };
  }
  const problem = badJsonText(value);
  if (problem) return { ok: false, message: problem };
  return { ok: false, message: `expected a JSON value, received ${describeValue(value)}` };
}

export const checkString = (value: unknown): Checked<string> => checkScalar("String", value) as Checked<string>;

/** `string`, `number`, `null`, `array`, `Date`, `object`... as zod words it. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "Date";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (typeof value === "number" && !Number.isFinite(value)) return "Infinity";
  return typeof value;
}

/**
 * Rejects Prisma.JsonNull/DbNull and other class instances, which z.json() lets through as `{}`,
 * and strings (values or keys) jsonb cannot store: NUL characters and lone surrogates.
 */
function isPlainJson(value: unknown): boolean {
  if (typeof value === "string") return textProblem(value) === undefined;
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(isPlainJson);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.entries(value).every(([key, v]) => textProblem(key) === undefined && isPlainJson(v));
}

/** The first string (value or key) inside a JSON value that jsonb cannot store, as a message. */
function badJsonText(value: unknown): string | undefined {
  if (typeof value === "string") return textProblem(value);
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, v] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const problem = (typeof key === "string" ? textProblem(key) : undefined) ?? badJsonText(v);
    if (problem) return problem;
  }
  return undefined;
}

/** Prisma's JSON null sentinels (`Prisma.DbNull`, `JsonNull`, `AnyNull`), by name. */
export type NullSentinel = "DbNull" | "JsonNull" | "AnyNull";

/**
 * The sentinel `value` is, if any. They are instances of a class of Prisma's runtime, which the
 * library does not import (the user's client may come from another Prisma version): they are
 * told apart by the name they report.
 */
export function readNullSentinel(value: unknown): NullSentinel | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as { _getName?: unknown; _getNamespace?: unknown };
  if (typeof v._getName !== "function" || typeof v._getNamespace !== "function") return undefined;
  const name = (v._getName as () => unknown).call(value);
  return name === "DbNull" || name === "JsonNull" || name === "AnyNull" ? name : undefined;
}

/** A Prisma field reference (`prisma.annotation.fields.page`): its model and field names. */
export function readFieldRef(value: unknown): { modelName: string; name: string } | undefined {
  if (typeof value !== "object" || value === null || isPlainObject(value) || Array.isArray(value)) return undefined;
  const v = value as { modelName?: unknown; name?: unknown; typeName?: unknown };
  return typeof v.modelName === "string" && typeof v.name === "string" && typeof v.typeName === "string"
    ? { modelName: v.modelName, name: v.name }
    : undefined;
}
