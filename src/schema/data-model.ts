import { clientRuntimeDataModel } from "../compat/prisma-client.ts";
import { SchemaMismatchError } from "../errors.ts";
import type { DataModel, DataModelField } from "./model-meta.ts";

interface DmmfModel {
  name: string;
  dbName?: string | null;
  fields: readonly DataModelField[];
}

/**
 * Finds the data model of a Prisma client, whichever generator made it.
 *
 * The `prisma-client` generator (Prisma 6.16+ and 7) has no `Prisma.dmmf`, but every client
 * carries `_runtimeDataModel` (fields with `dbName` when `@map` is used; read in src/compat). The older
 * `prisma-client-js` generator also exposes `Prisma.dmmf.datamodel`, which callers may pass.
 */
export function readDataModel(client: unknown, dmmf?: unknown): DataModel {
  const fromDmmf = asDataModel((dmmf as { datamodel?: unknown } | undefined)?.datamodel, true);
  if (fromDmmf) return fromDmmf;
  const runtime = asDataModel(clientRuntimeDataModel(client), false);
  if (runtime) return runtime;
  throw new SchemaMismatchError(
    "Could not read the models of this Prisma client. Pass `dmmf: Prisma.dmmf` to hybridStore() " +
      "if your client exposes it.",
  );
}

function asDataModel(value: unknown, isDmmf: boolean): DataModel | undefined {
  if (!value || typeof value !== "object") return undefined;
  const models = (value as { models?: unknown }).models;
  if (!models) return undefined;
  if (isDmmf && Array.isArray(models)) {
    // DMMF lists models as an array of { name, dbName, fields }.
    return {
      models: Object.fromEntries(
        (models as DmmfModel[]).map((m) => [m.name, { dbName: m.dbName ?? null, fields: m.fields }]),
      ),
    };
  }
  return typeof models === "object" ? (value as DataModel) : undefined;
}
