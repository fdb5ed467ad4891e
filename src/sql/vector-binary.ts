import type { SqlParams } from "./sql-params.ts";

/**
 * pgvector's binary form (`vector_recv`): the dimension count and a zero as big-endian int16,
 * then each value as a big-endian float4. node-postgres sends a `Buffer` parameter in binary
 * format, and PostgreSQL types an untyped parameter by its cast, so `$n::vector` reads these
 * bytes as they are: no text to print on the client or to parse on the server (for 384
 * dimensions about 1.5 KB instead of 5 KB). Each value is rounded to float32 as the text form's
 * (vector-text.ts), so the stored or compared vector is the same. Non-finite values are written
 * as they are, for the database to reject as it rejects them in text.
 *
 * @example
 * ```ts
 * vectorToBinary([1, -0.5]); // <Buffer 00 02 00 00 3f 80 00 00 bf 00 00 00>
 * ```
 */
export function vectorToBinary(vector: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(4 + 4 * vector.length);
  out.writeUInt16BE(vector.length, 0);
  out.writeUInt16BE(0, 2);
  for (let i = 0; i < vector.length; i++) out.writeFloatBE(vector[i] as number, 4 + 4 * i);
  return out;
}

/**
 * Binds a query vector in its binary form, with the `::vector` cast that types the parameter:
 * without it PostgreSQL would not know to read the bytes as a vector.
 */
export function vectorParam(params: SqlParams, vector: ArrayLike<number>): string {
  return params.param(vectorToBinary(vector), "vector");
}
