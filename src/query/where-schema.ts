import { z } from "zod";
import type { ScalarType } from "../schema/model-meta.ts";
import type { JsonValue, ScalarValue } from "./filter-nodes.ts";

/** What a filter operand of each field type must be, and how an error message names it. */
interface ValueRule {
  readonly expected: string;
  readonly schema: z.ZodType<ScalarValue>;
}

/** PostgreSQL text cannot hold NUL; reject it here instead of failing in the database. */
const text = z.string().refine((s) => !s.includes("\u0000"), "contains a NUL character");
const isoDateTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const decimalString = z.string().regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/);

const RULES: Readonly<Record<Exclude<ScalarType, "Json">, ValueRule>> = {
  String: { expected: "string", schema: text },
  Enum: { expected: "string", schema: text },
  Int: { expected: "number", schema: z.number() },
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
  if (result.success) return { ok: true, value: result.data };
  if (typeof value === "string" && value.includes("\u0000")) return { ok: false, message: "contains a NUL character" };
  return { ok: false, message: `expected ${rule.expected}, received ${describeValue(value)}` };
}

const jsonSchema = z.json();

/** Checks a JSON operand: plain JSON only (no undefined, NaN, bigint, Date or class instances). */
export function checkJson(value: unknown): Checked<JsonValue> {
  if (jsonSchema.safeParse(value).success && isPlainJson(value)) return { ok: true, value: value as JsonValue };
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
 * and NUL characters, which jsonb cannot store.
 */
function isPlainJson(value: unknown): boolean {
  if (typeof value === "string") return !value.includes("\u0000");
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(isPlainJson);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every(isPlainJson);
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);
