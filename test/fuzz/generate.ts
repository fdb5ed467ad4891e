import { DATES, DECIMALS, INTS, JSON_KEYS, JSON_VALUES, STRINGS } from "./data.ts";

/** A model's name, as in the schema. */
export type FuzzModel = string;
export type Kind = "String" | "NullableString" | "Int" | "Decimal" | "DateTime" | "Json";

/** A relation field: `list` ones take some/every/none, the others is/isNot or a bare where. */
export interface FuzzRelation {
  readonly field: string;
  readonly model: FuzzModel;
  readonly list: boolean;
}

/** What the generator knows of one model: its filterable scalar fields and its relations. */
export interface FuzzModelSpec {
  readonly fields: Readonly<Record<string, Kind>>;
  readonly relations: readonly FuzzRelation[];
}

export type FuzzSchema = Readonly<Record<FuzzModel, FuzzModelSpec>>;

const SAFE_STRINGS = STRINGS.filter((s) => !/[%_\\]/.test(s));

/** The bundled Document and Annotation. */
export const BUNDLED_SCHEMA: FuzzSchema = {
  Document: {
    fields: {
      id: "String",
      source: "NullableString",
      title: "NullableString",
      content: "String",
      label: "NullableString",
      embeddingModel: "NullableString",
      metadata: "Json",
      createdAt: "DateTime",
    },
    relations: [{ field: "annotations", model: "Annotation", list: true }],
  },
  Annotation: {
    fields: {
      id: "String",
      documentId: "String",
      rawText: "String",
      label: "NullableString",
      embeddingModel: "NullableString",
      page: "Int",
      position: "Int",
      metadata: "Json",
      createdAt: "DateTime",
    },
    relations: [{ field: "document", model: "Document", list: false }],
  },
};

/** Prisma field references, `prisma.annotation.fields.page`, by model and field. */
export type FieldRefs = Readonly<Record<FuzzModel, Readonly<Record<string, unknown>>>>;

type Random = () => number;

/** What the generator may use beyond plain values. */
export interface GenerateOptions {
  readonly fieldRefs?: FieldRefs;
  /** Prisma.DbNull, JsonNull, AnyNull of the client under test. */
  readonly nulls?: readonly unknown[];
  /** Deliberately invalid inputs (wrong types, unknown keys), about 1 in 50 values. */
  readonly invalid?: boolean;
}

/** A seeded generator of random Prisma `where` objects. */
export class WhereGenerator {
  constructor(
    private readonly r: Random,
    private readonly options: GenerateOptions = {},
    private readonly schema: FuzzSchema = BUNDLED_SCHEMA,
  ) {}

  private fields(model: FuzzModel): Readonly<Record<string, Kind>> {
    const spec = this.schema[model];
    if (!spec) throw new Error(`the fuzz schema has no model ${model}`);
    return spec.fields;
  }

  where(model: FuzzModel, depth = 0): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const entries = depth === 0 ? 1 + this.int(2) : this.int(3);
    for (let i = 0; i < entries; i++) {
      const roll = this.r();
      if (roll < 0.18 && depth < 3) {
        const key = this.pick(["AND", "OR", "NOT"] as const);
        out[key] = this.logical(model, depth + 1);
      } else if (roll < 0.3 && depth < 3 && this.schema[model]!.relations.length > 0) {
        Object.assign(out, this.relation(model, depth + 1));
      } else {
        const fields = this.fields(model);
        const name = this.pick(Object.keys(fields));
        const kind = fields[name]!;
        out[name] = kind === "Json" ? this.jsonFilter() : this.fieldFilter(model, name, kind, 0);
      }
    }
    if (this.options.invalid && this.r() < 0.01) out[this.pick(["nope", "embedding", "score"])] = 1;
    return out;
  }

  private logical(model: FuzzModel, depth: number): unknown {
    if (this.r() < 0.4) return this.where(model, depth);
    return Array.from({ length: this.int(4) }, () => this.where(model, depth));
  }

  private relation(model: FuzzModel, depth: number): Record<string, unknown> {
    const relations = this.schema[model]!.relations;
    // One relation draws no number, so the bundled models' seeds keep their wheres.
    const relation = relations.length === 1 ? relations[0]! : this.pick(relations);
    const filter: Record<string, unknown> = {};
    if (relation.list) {
      for (const q of ["some", "every", "none"]) if (this.r() < 0.45) filter[q] = this.where(relation.model, depth);
      return { [relation.field]: filter };
    }
    if (this.r() < 0.4) return { [relation.field]: this.where(relation.model, depth) };
    for (const q of ["is", "isNot"]) if (this.r() < 0.6) filter[q] = this.where(relation.model, depth);
    return { [relation.field]: filter };
  }

  private fieldFilter(model: FuzzModel, name: string, kind: Kind, depth: number, insensitive = false): unknown {
    const roll = this.r();
    if (roll < 0.15) return this.value(kind);
    if (roll < 0.2 && kind === "NullableString") return null;
    if (roll < 0.22 && kind === "Int") return null;
    const ops =
      kind === "DateTime" || kind === "Int" || kind === "Decimal"
        ? ["equals", "not", "in", "notIn", "lt", "lte", "gt", "gte"]
        : ["equals", "not", "in", "notIn", "lt", "lte", "gt", "gte", "contains", "startsWith", "endsWith"];
    const out: Record<string, unknown> = {};
    const text = kind === "String" || kind === "NullableString";
    const mode =
      text && depth === 0 && this.r() < 0.35 ? this.pick(["insensitive", "insensitive", "default"]) : undefined;
    // Prisma's LIKE/ILIKE patterns leave wildcards unescaped (a documented difference): those
    // operands come from wildcard-free strings, and field references stay out of them.
    const plain = mode === "insensitive" || insensitive;
    const count = this.r() < 0.1 ? 0 : 1 + this.int(3);
    for (let i = 0; i < count; i++) {
      const op = this.pick(ops);
      const like = ["contains", "startsWith", "endsWith"].includes(op);
      if (op === "in" || op === "notIn") {
        const nullable = kind === "NullableString" || kind === "Int";
        out[op] = nullable && this.r() < 0.05 ? null : Array.from({ length: this.int(4) }, () => this.value(kind));
      } else if (op === "not" && depth < 2 && this.r() < 0.4) {
        out.not = this.fieldFilter(model, name, kind, depth + 1, plain);
      } else if ((op === "equals" || op === "not") && this.r() < 0.15 && kind !== "String" && kind !== "DateTime") {
        out[op] = null;
      } else if (like || (plain && (op === "equals" || op === "not"))) {
        out[op] = this.pick(SAFE_STRINGS);
      } else {
        out[op] = this.operand(model, name, kind, !plain);
      }
    }
    if (mode) out.mode = mode;
    return out;
  }

  /** A value, or sometimes a reference to another field of the same type. */
  private operand(model: FuzzModel, name: string, kind: Kind, allowRefs: boolean): unknown {
    const refs = this.options.fieldRefs;
    if (refs && allowRefs && this.r() < 0.08) {
      const same = Object.entries(this.fields(model)).filter(
        ([f, k]) => f !== name && (k === kind || (k.endsWith("String") && kind.endsWith("String"))),
      );
      const ref = same.length > 0 ? refs[model]?.[this.pick(same)[0]] : undefined;
      if (ref !== undefined) return ref;
    }
    return this.value(kind);
  }

  private value(kind: Kind): unknown {
    if (this.options.invalid && this.r() < 0.02) return this.pick([{}, [], true, 1n, "x", 1.5]);
    switch (kind) {
      case "String":
      case "NullableString":
        return this.pick(STRINGS);
      case "Int":
        return this.r() < 0.1 ? this.pick([2.5, -0.5, 1.9]) : this.pick(INTS);
      case "Decimal":
        return this.pick(DECIMALS);
      case "DateTime":
        return this.date();
      case "Json":
        return this.pick(JSON_VALUES);
    }
  }

  private date(): unknown {
    const d = this.pick(DATES);
    const iso = d.toISOString();
    switch (this.int(6)) {
      case 0:
        return iso;
      case 1:
        return iso.replace(".000Z", "Z");
      case 2:
        return iso.replace("Z", "+00:00");
      case 3: {
        // The same instant written in another offset.
        const shifted = new Date(d.getTime() + 2 * 3600_000).toISOString().replace("Z", "+02:00");
        return shifted;
      }
      default:
        return d;
    }
  }

  private jsonFilter(): unknown {
    const out: Record<string, unknown> = {};
    const roll = this.r();
    if (roll < 0.85) {
      const key = this.pick(JSON_KEYS);
      const path =
        key === "nested"
          ? this.pick([["nested"], ["nested", "a"], ["nested", "a", "b"]])
          : this.r() < 0.15
            ? [key, this.pick(["0", "1", "-1", "a"])]
            : [key];
      out.path = path;
    }
    const ops = [
      "equals",
      "not",
      "gt",
      "gte",
      "lt",
      "lte",
      "string_contains",
      "string_starts_with",
      "string_ends_with",
      "array_contains",
      "array_starts_with",
      "array_ends_with",
    ];
    const count = 1 + (this.r() < 0.2 ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const op = this.pick(ops);
      if (op.startsWith("string_")) out[op] = this.pick(["e", "E", "n", "en", "x", "", "1", "É"]);
      else if (["gt", "gte", "lt", "lte"].includes(op)) out[op] = this.pick([0, 1, 1.5, -1, "e", "EN", "1", ""]);
      else if ((op === "equals" || op === "not") && this.options.nulls && this.r() < 0.2)
        out[op] = this.pick(this.options.nulls);
      else out[op] = this.pick(JSON_VALUES);
    }
    // Without a path Prisma matches string_* against the quoted JSON text (a documented difference).
    if (!out.path && Object.keys(out).some((k) => k.startsWith("string_"))) out.path = ["lang"];
    if (this.r() < 0.15) out.mode = this.pick(["insensitive", "default"]);
    return out;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }
}
