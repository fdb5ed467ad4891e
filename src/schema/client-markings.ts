import { clientSchemaText } from "../compat/prisma-client.ts";
import { InvalidSchemaError } from "../errors.ts";
import { readMarkings, type VectorMarking } from "./markings.ts";
import { type SchemaModel, schemaModels } from "./schema-models.ts";

/** A client's schema text read into models, and its checked `@embed` markings. */
export interface ClientMarkings {
  readonly markings: readonly VectorMarking[];
  readonly models: readonly SchemaModel[];
}

/**
 * The `/// @embed` markings in the schema text a Prisma client carries (`inlineSchema`, Prisma
 * 6.16+ and 7, doc comments included: the runtime data model leaves `Unsupported` fields out),
 * checked as `generate` checks them against `embedders` (key -> dimensions, the extension's own
 * embedders), for `models` only when given. Undefined when the client has no schema text:
 * callers keep their defaults.
 *
 * @throws InvalidSchemaError naming every bad marking of those models.
 */
export function readClientMarkings(
  client: unknown,
  models: readonly string[] | undefined,
  embedders: ReadonlyMap<string, number>,
): ClientMarkings | undefined {
  const schema = clientSchemaText(client);
  if (schema === undefined) return undefined;
  const { markings, issues } = readMarkings(schema, embedders, models ? { models } : {});
  if (issues.length > 0) throw new InvalidSchemaError(issues);
  return { markings, models: schemaModels(schema) };
}
