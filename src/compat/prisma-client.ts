import { UnsupportedPrismaError } from "../errors.ts";

/**
 * The private members of a Prisma client this library reads, each in this one place. Prisma has
 * no public API for any of them; test/compat/internals.test.ts checks that every client kind
 * the project tests (Prisma 6.19 `prisma-client`, Prisma 7 `prisma-client` and
 * `prisma-client-js`, Prisma 6 `prisma-client-js`) still has them.
 *
 * A member whose absence only costs speed reads as undefined and the caller takes Prisma's own
 * path; one whose absence would make the library wrong (the tables' schema, the models) throws
 * {@link UnsupportedPrismaError} on a Prisma client that lacks it.
 */

type Bag = Record<string, unknown>;
const bag = (value: unknown): Bag | undefined =>
  typeof value === "object" && value !== null ? (value as Bag) : undefined;

/** `_engineConfig`: what every Prisma client (6.16+, 7; base, extended, transaction) carries. */
const engineConfig = (client: unknown): Bag | undefined => bag(bag(client)?._engineConfig);

/** A client made by Prisma, as far as one can tell: it has an engine configuration. */
export const isPrismaClient = (client: unknown): boolean => engineConfig(client) !== undefined;

/**
 * `_engineConfig.inlineSchema`: the schema text the client carries for its query compiler, the
 * only place the client keeps its `@default`s. Undefined without it: writes then stay Prisma's.
 */
export function clientSchemaText(client: unknown): string | undefined {
  const text = engineConfig(client)?.inlineSchema;
  return typeof text === "string" ? text : undefined;
}

/**
 * `_runtimeDataModel`: the models, fields and `@map` names of a `prisma-client` client (which has
 * no `Prisma.dmmf`). Undefined for an object that is no Prisma client.
 *
 * @throws UnsupportedPrismaError for a Prisma client without it.
 */
export function clientRuntimeDataModel(client: unknown): Bag | undefined {
  const model = bag(bag(client)?._runtimeDataModel);
  if (model && bag(model.models)) return model;
  if (!isPrismaClient(client)) return undefined;
  throw new UnsupportedPrismaError(
    "_runtimeDataModel",
    `This Prisma client (${String(engineConfig(client)?.clientVersion ?? "unknown version")}) has no _runtimeDataModel, ` +
      "where prisma-hybrid-store reads its models (Prisma 6.16-7 have it). Pass `dmmf: Prisma.dmmf` to " +
      "hybridStore() if your client exposes it, or use a Prisma version the library supports.",
  );
}

/**
 * `_engineConfig.adapter.options.schema`: the PostgreSQL schema of
 * `new PrismaPg(config, { schema })`, which Prisma puts in front of every table. Undefined
 * without the option, or without a driver adapter (the Rust engine of `prisma-client-js`).
 *
 * @throws UnsupportedPrismaError when adapter-pg no longer keeps its options there: guessing
 * `public` could read and write another schema's tables.
 */
export function adapterSchemaOption(client: unknown): unknown {
  const adapter = bag(engineConfig(client)?.adapter);
  if (!adapter) return undefined;
  if ("options" in adapter) return bag(adapter.options)?.schema;
  if (adapter.adapterName !== "@prisma/adapter-pg") return undefined;
  throw new UnsupportedPrismaError(
    "_engineConfig.adapter.options",
    "This @prisma/adapter-pg keeps its options where prisma-hybrid-store cannot read them, so the " +
      "library cannot tell which PostgreSQL schema your tables are in (adapter-pg 6.16-7 keep them " +
      "in `options`). Use an adapter-pg version the library supports.",
  );
}

/**
 * Whether a query extension's call runs outside any transaction, from the undocumented
 * `__internalParams` Prisma 6 and 7 pass to `$allOperations` (its `transaction`). False when that
 * cannot be told: the caller then takes Prisma's path, which is right inside and outside.
 */
export function isOutsideTransaction(internalParams: unknown): boolean {
  const params = bag(internalParams);
  return params !== undefined && Object.hasOwn(params, "transaction") && params.transaction === undefined;
}
