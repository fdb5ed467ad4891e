import { InvalidArgumentError } from "../errors.ts";

/**
 * The PostgreSQL schema the client's driver adapter puts its tables in:
 * `new PrismaPg({ connectionString }, { schema: "tenant" })` makes Prisma write
 * `"tenant"."Document"`, so every statement this library writes itself must name that schema
 * too. Undefined without the option (the tables are found on the search path, as Prisma's
 * `public` default is).
 *
 * Prisma has no public API for this: the adapter factory is read from the client's private
 * `_engineConfig.adapter` (Prisma 6.19 and 7, base, extended and transaction clients alike),
 * and its `options.schema` (adapter-pg 6 and 7). This is the only place that reads it.
 *
 * @throws InvalidArgumentError when the adapter names a schema that is not a non-empty string.
 */
export function readAdapterSchema(client: unknown): string | undefined {
  const adapter = (client as { _engineConfig?: { adapter?: { options?: { schema?: unknown } } } } | null)?._engineConfig
    ?.adapter;
  const schema = adapter?.options?.schema;
  if (schema === undefined || schema === null) return undefined;
  if (typeof schema !== "string" || schema.length === 0 || schema.includes("\u0000")) {
    throw new InvalidArgumentError(
      `The driver adapter's schema option must be a schema name, received ${String(schema)}.`,
      [{ path: ["adapter", "schema"], message: "expected a non-empty string" }],
    );
  }
  return schema;
}
