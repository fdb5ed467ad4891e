import type { FilterNode, ScalarValue } from "../query/filter-nodes.ts";
import { compare, inList, isNull, json, like, not, or, TRUE } from "../query/filter-nodes.ts";
import { checkScalar, describeValue, textProblem } from "../query/where-schema.ts";
import type { ScalarField } from "../schema/model-meta.ts";
import type { HybridFilterOperator } from "./metadata-filters.ts";

/** Where a problem sits inside one filter: `["value", 2]`. */
export type Path = (string | number)[];
/** Records a problem at a path and returns a placeholder node (parsing goes on, reporting all). */
export type Fail = (path: Path, message: string) => FilterNode;
type Primitive = string | number | boolean;

/** `documentId`, `label`, `page`: typed by the schema. `!=`/`nin` also match NULL, as on metadata. */
export function columnFilter(field: ScalarField, op: HybridFilterOperator, value: unknown, fail: Fail): FilterNode {
  const scalar = (v: unknown, at: Path): ScalarValue | undefined => {
    const checked = checkScalar(field.type, v);
    if (checked.ok) return checked.value;
    fail(at, `${checked.message} (column "${field.name}" is ${field.type})`);
    return undefined;
  };
  const list = (): ScalarValue[] | undefined => {
    if (!Array.isArray(value)) {
      return void fail(["value"], `operator "${op}" needs an array, received ${describeValue(value)}`);
    }
    const values = value.map((v, i) => scalar(v, ["value", i]));
    return values.every((v) => v !== undefined) ? (values as ScalarValue[]) : undefined;
  };
  const one = (then: (v: ScalarValue) => FilterNode) => {
    const v = scalar(value, ["value"]);
    return v === undefined ? TRUE : then(v);
  };
  const text = (insensitive: boolean) => {
    if (field.type !== "String") {
      return fail(["operator"], `"${op}" needs a text column; "${field.name}" is ${field.type}`);
    }
    return one((v) => like(field, "contains", v as string, insensitive));
  };
  switch (op) {
    case "==":
      return one((v) => compare(field, "=", v));
    case "!=":
      return one((v) => or(isNull(field), not(compare(field, "=", v))));
    case ">":
    case "<":
    case ">=":
    case "<=":
      return one((v) => compare(field, op, v));
    case "in": {
      const values = list();
      return values ? inList(field, values) : TRUE;
    }
    case "nin": {
      const values = list();
      return values ? or(isNull(field), inList(field, values, true)) : TRUE;
    }
    case "text_match":
    case "text_match_insensitive":
      return text(op === "text_match_insensitive");
    case "is_empty":
      return field.type === "String" ? or(isNull(field), compare(field, "=", "")) : isNull(field);
    case "any":
    case "all":
    case "contains":
      return fail(["operator"], `"${op}" tests a metadata array; "${field.name}" is a ${field.type} column`);
  }
}

/** A top-level key of `metadata`: JSON semantics, types compared exactly (5 is not "5"). */
export function metadataFilter(
  field: ScalarField,
  key: string,
  op: HybridFilterOperator,
  value: unknown,
  fail: Fail,
): FilterNode {
  const path = [key];
  const equals = (v: Primitive) => json(field, path, "equals", v);
  const hasElement = (v: Primitive) => json(field, path, "array_contains", [v]);
  // `!=`/`nin` are the complement of `==`/`in`: rows without the key match too, whatever the key
  // looks like (a NOT over a JSON test is NULL, not TRUE, where the key is missing).
  const missing = not(json(field, path, "exists", null));
  const primitive = (v: unknown, at: Path): Primitive | undefined => {
    if (typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) return v;
    const problem = typeof v === "string" ? textProblem(v) : undefined;
    if (typeof v === "string" && !problem) return v;
    fail(at, problem ?? `expected a string, finite number or boolean, received ${describeValue(v)}`);
    return undefined;
  };
  const list = (): Primitive[] | undefined => {
    if (!Array.isArray(value)) {
      return void fail(["value"], `operator "${op}" needs an array, received ${describeValue(value)}`);
    }
    const values = value.map((v, i) => primitive(v, ["value", i]));
    return values.every((v) => v !== undefined) ? (values as Primitive[]) : undefined;
  };
  const one = (then: (v: Primitive) => FilterNode) => {
    if (Array.isArray(value)) {
      return fail(["value"], `operator "${op}" takes one value, received an array (use in, any or all)`);
    }
    const v = primitive(value, ["value"]);
    return v === undefined ? TRUE : then(v);
  };
  switch (op) {
    case "==":
      return one(equals);
    case "!=":
      return one((v) => or(missing, not(equals(v))));
    case ">":
    case "<":
    case ">=":
    case "<=":
      return one((v) => {
        if (typeof v === "boolean") {
          return fail(["value"], `operator "${op}" compares numbers or strings, received boolean`);
        }
        return json(field, path, RANGE[op], v);
      });
    case "in": {
      const values = list();
      return values ? or(...values.map(equals)) : TRUE;
    }
    case "nin": {
      const values = list();
      return values ? or(missing, not(or(...values.map(equals)))) : TRUE;
    }
    case "any": {
      const values = list();
      return values ? or(...values.map(hasElement)) : TRUE;
    }
    case "all": {
      const values = list();
      return values ? json(field, path, "array_contains", values) : TRUE;
    }
    case "contains":
      return one(hasElement);
    case "text_match":
    case "text_match_insensitive":
      return one((v) => {
        if (typeof v !== "string") {
          return fail(["value"], `operator "${op}" needs a string, received ${describeValue(v)}`);
        }
        return json(field, path, "string_contains", v, op === "text_match_insensitive");
      });
    case "is_empty":
      // Missing, JSON null, "" or [] (as LlamaIndex's PGVectorStore defines it).
      return or(
        not(json(field, path, "exists", null)),
        json(field, path, "equals", null),
        equals(""),
        json(field, path, "equals", []),
      );
  }
}

const RANGE = { ">": "gt", "<": "lt", ">=": "gte", "<=": "lte" } as const;
