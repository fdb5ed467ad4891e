import type { StoreSchema } from "../schema/model-meta.ts";

/** One object in a Prisma write's arguments that holds the scalar data of a row of a marked `model`. */
export interface WriteData {
  readonly model: string;
  readonly data: Record<string, unknown>;
  /** Where it sits in the arguments, for error messages: `data.annotations.create.0`. */
  readonly path: string;
  /** A new row (fields left out are NULL or defaulted), not an update of some of its fields. */
  readonly creates: boolean;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const each = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * The row-data objects of marked models in a top-level operation's arguments, nested writes
 * through any relation field included (`product.create({ data: { reviews: { create } } })`).
 */
export function collectWriteData(schema: StoreSchema, model: string, operation: string, args: unknown): WriteData[] {
  if (!isObj(args)) return [];
  const out: WriteData[] = [];
  const walk = new Walk(schema, out);
  switch (operation) {
    case "create":
    case "update":
      walk.visit(model, args.data, "data", operation === "create");
      break;
    case "createMany":
    case "createManyAndReturn":
    case "updateMany":
    case "updateManyAndReturn":
      each(args.data).forEach((d, i) => {
        walk.visit(model, d, Array.isArray(args.data) ? `data.${i}` : "data", operation.startsWith("create"));
      });
      break;
    case "upsert":
      walk.visit(model, args.create, "create", true);
      walk.visit(model, args.update, "update", false);
      break;
  }
  return out;
}

class Walk {
  constructor(
    private readonly schema: StoreSchema,
    private readonly out: WriteData[],
  ) {}

  visit(model: string, data: unknown, path: string, creates: boolean): void {
    if (!isObj(data)) return;
    if (this.schema.models.has(model)) this.out.push({ model, data, path, creates });
    for (const [name, rel] of this.schema.relations.get(model) ?? []) {
      if (data[name] !== undefined) this.nested(rel.target, data[name], `${path}.${name}`);
    }
  }

  /** Nested writes: `annotations: { create, createMany, update, upsert, ... }` and the reverse. */
  private nested(model: string, ops: unknown, path: string): void {
    if (!isObj(ops)) return;
    const list = (key: string, pick: (item: Obj) => [unknown, string, boolean][]) =>
      each(ops[key]).forEach((item, i) => {
        if (!isObj(item)) return;
        const at = Array.isArray(ops[key]) ? `${path}.${key}.${i}` : `${path}.${key}`;
        for (const [data, sub, creates] of pick(item)) this.visit(model, data, sub ? `${at}.${sub}` : at, creates);
      });
    list("create", (item) => [[item, "", true]]);
    list("connectOrCreate", (item) => [[item.create, "create", true]]);
    list("upsert", (item) => [
      [item.create, "create", true],
      [item.update, "update", false],
    ]);
    // A to-one `update` is the data itself or `{ where, data }`; a to-many one is always the latter.
    list("update", (item) => [
      ["data" in item && isObj(item.data) ? item.data : item, "data" in item ? "data" : "", false],
    ]);
    list("updateMany", (item) => [[item.data, "data", false]]);
    if (isObj(ops.createMany)) {
      const data = ops.createMany.data;
      each(data).forEach((d, i) => {
        this.visit(model, d, Array.isArray(data) ? `${path}.createMany.data.${i}` : `${path}.createMany.data`, true);
      });
    }
  }
}
