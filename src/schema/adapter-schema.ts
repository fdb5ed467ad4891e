import { adapterSchemaOption } from "../compat/prisma-client.ts";
import { InvalidArgumentError } from "../errors.ts";

/**
 * The PostgreSQL schema the client's driver adapter puts its tables in:
 * `new PrismaPg({ connectionString }, { schema: "tenant" })` makes Prisma write
 * `"tenant"."Document"`, so every statement this library writes itself must name that schema
 * too. Undefined without the option (the tables are found on the search path, as Prisma's
 * `public` default is).
 *
 * Prisma has no public API for this: src/compat/prisma-client.ts reads it from the client's
 * private engine configuration.
 *
 * @throws InvalidArgumentError when the adapter names a schema that is not a non-empty string.
 * @throws UnsupportedPrismaError when the adapter keeps its options elsewhere.
 */
export function readAdapterSchema(client: unknown): string | undefined {
  const schema = adapterSchemaOption(client);
  if (schema === undefined || schema === null) return undefined;
  if (typeof schema !== "string" || schema.length === 0 || schema.includes("\u0000")) {
    throw new InvalidArgumentError(
      `The driver adapter's schema option must be a schema name, received ${String(schema)}.`,
      [{ path: ["adapter", "schema"], message: "expected a non-empty string" }],
    );
  }
  return schema;
}
