import { clientSchemaText } from "../compat/prisma-client.ts";
import { InvalidSchemaError } from "../errors.ts";
import { DEFAULT_EMBEDDER, readMarkings, type VectorMarking } from "./markings.ts";

/**
 * The `/// @embed` markings of `models` in the schema text a Prisma client carries
 * (`inlineSchema`, Prisma 6.16+ and 7, doc comments included: the runtime data model leaves
 * `Unsupported` fields out), checked as `generate` checks them, with the extension's embedder as
 * the default one. Undefined when the client has no schema text: callers keep their defaults.
 *
 * @throws InvalidSchemaError naming every bad marking of those models.
 */
export function readClientMarkings(
  client: unknown,
  models: readonly string[],
  embedderDimensions: number,
): readonly VectorMarking[] | undefined {
  const schema = clientSchemaText(client);
  if (schema === undefined) return undefined;
  const { markings, issues } = readMarkings(schema, new Map([[DEFAULT_EMBEDDER, embedderDimensions]]), { models });
  if (issues.length > 0) throw new InvalidSchemaError(issues);
  return markings;
}
