import { z } from "zod";
import type { ValidationIssue } from "../errors.ts";
import { InvalidArgumentError } from "../errors.ts";

/** Most rows one search returns. Page further with `skip`. */
export const MAX_TAKE = 1000;
/** Largest `skip`: deep pages of an approximate index get slow; narrow the filter instead. */
export const MAX_SKIP = 100_000;
/** pgvector accepts `hnsw.ef_search` from 1 to 1000. */
export const MAX_EF_SEARCH = 1000;
/** Rows returned when `take` is not given. */
export const DEFAULT_TAKE = 10;

const int = (name: string, min: number, max: number, why = "") =>
  z
    .number({ error: (i) => `expected ${name}, received ${receivedOf(i.input)}` })
    .int({ error: `expected ${name}, received a fraction` })
    .min(min, { error: `expected ${name}` })
    .max(max, { error: `must be at most ${max}${why}` });

const unit = (name: string, min: number) =>
  z
    .number({ error: `expected ${name}` })
    .min(min, { error: `expected ${name}` })
    .max(1, { error: `expected ${name}` });

const take = int("an integer >= 1", 1, MAX_TAKE, ` (the search cap; page with skip)`).default(DEFAULT_TAKE);
const skip = int("an integer >= 0", 0, MAX_SKIP).default(0);
const efSearch = int("an integer from 1 to 1000", 1, MAX_EF_SEARCH).optional();
const relationArgs = z.record(z.string(), z.unknown(), { error: "expected an object" }).optional();
const plan = z.enum(["auto", "exact", "hnsw"], { error: 'expected "auto", "exact" or "hnsw"' }).default("auto");
// Only the shape: validateVector checks every element and the length, with messages naming the
// index. zod's own walk of 384 elements cost 100-200 us per search until V8 optimized it (about
// the first hundred searches of a process), the larger part of the library's overhead in a short run.
const queryVector = z.custom<unknown[] | Float32Array | Float64Array>(
  (v) => Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array,
  { error: "expected an array of numbers" },
);
const queryString = z.string({ error: (i) => `expected string, received ${receivedOf(i.input)}` });

const common = {
  where: z.unknown().optional(),
  take,
  skip,
  select: relationArgs,
  include: relationArgs,
};
const vectorOptions = {
  // Checked against the model's vector fields by vectorOf, which names them.
  vectorField: z.string({ error: (i) => `expected a vector field name, received ${receivedOf(i.input)}` }).optional(),
  exact: z.boolean({ error: "expected boolean" }).optional(),
  efSearch,
  plan,
  recallTarget: z
    .number({ error: "expected a number above 0 and at most 1" })
    .gt(0, { error: "expected a number above 0 and at most 1" })
    .max(1, { error: "expected a number above 0 and at most 1" })
    .optional(),
};

const cursor = z
  .strictObject(
    {
      id: z.union([z.string().min(1, { error: "expected a row id" }), z.number().int({ error: "expected a row id" })], {
        error: (i) => `expected string or integer, received ${receivedOf(i.input)}`,
      }),
    },
    { error: "expected { id }" },
  )
  .optional();

const similarity = z.strictObject({
  ...common,
  ...vectorOptions,
  cursor,
  query: z.union([queryString, queryVector], { error: "expected a string or an array of numbers" }),
  minSimilarity: unit("a number from -1 to 1", -1).optional(),
});

const text = z.strictObject({ ...common, query: queryString });

const fusion = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("rrf"), k: z.number().positive({ error: "expected a number > 0" }).default(60) }),
    z.strictObject({ type: z.literal("weighted"), alpha: unit("a number from 0 to 1", 0).default(0.5) }),
  ],
  { error: 'expected { type: "rrf", k? } or { type: "weighted", alpha? }' },
);

const hybrid = z.strictObject({
  ...common,
  ...vectorOptions,
  query: queryString,
  vector: queryVector.optional(),
  fusion: fusion.default({ type: "rrf", k: 60 }),
  candidates: int("an integer >= 1", 1, MAX_TAKE).optional(),
});

export type SimilarityArgs = z.output<typeof similarity>;
export type TextArgs = z.output<typeof text>;
export type HybridArgs = z.output<typeof hybrid>;
export type Fusion = z.output<typeof fusion>;

/** Validates `similaritySearch` arguments; nothing is embedded or sent when they are wrong. */
export const parseSimilarityArgs = (input: unknown): SimilarityArgs => parse(similarity, input, "similaritySearch");
export const parseTextArgs = (input: unknown): TextArgs => parse(text, input, "textSearch");
export const parseHybridArgs = (input: unknown): HybridArgs => parse(hybrid, input, "hybridSearch");

function parse<S extends z.ZodType>(schema: S, input: unknown, method: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message:
      i.code === "unrecognized_keys" ? `unknown argument(s) ${i.keys.map((k) => `"${k}"`).join(", ")}` : i.message,
  }));
  const text = issues.map((i) => (i.path.length ? `${i.message} at ${i.path.join(".")}` : i.message)).join("; ");
  throw new InvalidArgumentError(`Invalid ${method} arguments: ${text}`, issues);
}

function receivedOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  return typeof value;
}
