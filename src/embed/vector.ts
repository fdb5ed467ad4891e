import { DimensionMismatchError } from "../errors.ts";

/**
 * Checks a caller's vector: an array (or Float32Array/Float64Array) of exactly `dimensions`
 * finite numbers that float4, what pgvector stores, can hold (within about ±3.4e38). Returns a
 * plain copy so later changes by the caller cannot reach the database.
 */
export function validateVector(value: unknown, dimensions: number, where = "embedding"): number[] {
  const isArray = Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array;
  if (!isArray) {
    throw new DimensionMismatchError(dimensions, 0, `Expected ${where} to be an array of ${dimensions} numbers.`);
  }
  const numbers = Array.from(value as ArrayLike<unknown>);
  if (numbers.length !== dimensions) throw new DimensionMismatchError(dimensions, numbers.length);
  numbers.forEach((n, i) => {
    if (typeof n !== "number" || !Number.isFinite(Math.fround(n))) {
      const received =
        typeof n !== "number" ? typeof n : Number.isFinite(n) ? `${n}, beyond float4's range` : String(n);
      throw new DimensionMismatchError(
        dimensions,
        numbers.length,
        `Expected ${where}[${i}] to be a finite number, received ${received}.`,
      );
    }
  });
  return numbers as number[];
}
