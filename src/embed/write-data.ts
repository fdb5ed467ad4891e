import type { ModelName } from "../schema/model-meta.ts";

/** One object in a Prisma write's arguments that holds the scalar data of a row of `model`. */
export interface WriteData {
  readonly model: ModelName;
  readonly data: Record<string, unknown>;
  /** Where it sits in the arguments, for error messages: `data.annotations.create.0`. */
  readonly path: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const each = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The row-data objects of a top-level operation's arguments. */
export function collectWriteData(model: ModelName, operation: string, args: unknown): WriteData[] {
  if (!isObj(args)) return [];
  const out: WriteData[] = [];
  switch (operation) {
    case "create":
    case "update":
      visit(model, args.data, "data", out);
      break;
    case "createMany":
    case "createManyAndReturn":
    case "updateMany":
    case "updateManyAndReturn":
      each(args.data).forEach((d, i) => {
        visit(model, d, Array.isArray(args.data) ? `data.${i}` : "data", out);
      });
      break;
    case "upsert":
      visit(model, args.create, "create", out);
      visit(model, args.update, "update", out);
      break;
  }
  return out;
}

function visit(model: ModelName, data: unknown, path: string, out: WriteData[]): void {
  if (!isObj(data)) return;
  out.push({ model, data, path });
  if (model === "Document") nested("Annotation", data.annotations, `${path}.annotations`, out);
  else nested("Document", data.document, `${path}.document`, out);
}

/** Nested writes: `annotations: { create, createMany, update, upsert, ... }` and the reverse. */
function nested(model: ModelName, ops: unknown, path: string, out: WriteData[]): void {
  if (!isObj(ops)) return;
  const list = (key: string, pick: (item: Obj) => [unknown, string][]) =>
    each(ops[key]).forEach((item, i) => {
      if (!isObj(item)) return;
      const at = Array.isArray(ops[key]) ? `${path}.${key}.${i}` : `${path}.${key}`;
      for (const [data, sub] of pick(item)) visit(model, data, sub ? `${at}.${sub}` : at, out);
    });
  list("create", (item) => [[item, ""]]);
  list("connectOrCreate", (item) => [[item.create, "create"]]);
  list("upsert", (item) => [
    [item.create, "create"],
    [item.update, "update"],
  ]);
  // A to-one `update` is the data itself or `{ where, data }`; a to-many one is always the latter.
  list("update", (item) => [["data" in item && isObj(item.data) ? item.data : item, "data" in item ? "data" : ""]]);
  list("updateMany", (item) => [[item.data, "data"]]);
  if (isObj(ops.createMany)) {
    const data = ops.createMany.data;
    each(data).forEach((d, i) => {
      visit(model, d, Array.isArray(data) ? `${path}.createMany.data.${i}` : `${path}.createMany.data`, out);
    });
  }
}
