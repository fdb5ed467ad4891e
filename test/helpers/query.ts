import { PrismaPg } from "@prisma/adapter-pg";
import { clientSchemaText } from "../../src/compat/prisma-client.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { compileFilter } from "../../src/query/compile-filter.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import { readDataModel } from "../../src/schema/data-model.ts";
import type { BundledModelName, DataModel, StoreSchema } from "../../src/schema/model-meta.ts";
import { buildStoreSchema } from "../../src/schema/model-meta.ts";
import { schemaModels } from "../../src/schema/schema-models.ts";
import type { CompiledQuery } from "../../src/sql/compiled-query.ts";
import { SqlParams } from "../../src/sql/sql-params.ts";

/** The project's own schema, read from the generated client and its schema text, as the extension does (no connection is made). */
export function projectSchema(): StoreSchema {
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: "postgresql://unused@127.0.0.1:1/x" }) });
  return buildStoreSchema(readDataModel(client), undefined, undefined, schemaModels(clientSchemaText(client) ?? ""));
}

/** The same models with `@@map`/`@map` names, to prove SQL takes column names from the schema. */
export function mappedSchema(): StoreSchema {
  return renamedSchema(
    (model) => `${model.toLowerCase()}s`,
    (field) => `${field}_col`,
  );
}

/**
 * The same models with `@@map`/`@map` names (and an adapter schema) made of quotes, `$1`,
 * semicolons and comments, as a schema may legally spell them: SQL must quote every one.
 */
export function hostileSchema(): StoreSchema {
  return renamedSchema(
    (model) => `${model}"; DROP TABLE x; --`,
    (field) => `${field}'$1;/*"`,
    `tenant"$2; --`,
  );
}

function renamedSchema(
  table: (model: string) => string,
  column: (field: string) => string,
  adapterSchema?: string,
): StoreSchema {
  const base = readDataModel(
    new PrismaClient({ adapter: new PrismaPg({ connectionString: "postgresql://unused@127.0.0.1:1/x" }) }),
  );
  const models: DataModel["models"] = {};
  for (const [name, model] of Object.entries(base.models)) {
    if (!model) continue;
    models[name] = {
      dbName: table(name),
      fields: model.fields.map((f) => (f.kind === "scalar" ? { ...f, dbName: column(f.name) } : f)),
    };
  }
  return buildStoreSchema({ models }, adapterSchema);
}

/** parseWhere + compileFilter on a fresh parameter list. */
export function compileWhere(schema: StoreSchema, model: BundledModelName, where: unknown): CompiledQuery {
  const params = new SqlParams();
  const sql = compileFilter(parseWhere(schema[model], schema, where), { schema, model: schema[model], params });
  return params.finish(sql);
}
