import { dateToSql, qualified, quoteIdent, quoteTable } from "../db/sql.ts";
import type { ModelMeta, ScalarField, StoreSchema } from "../schema/model-meta.ts";
import { compileJson } from "./compile-json.ts";
import type { FilterNode, RelationNode, ScalarValue } from "./filter-nodes.ts";
import { not } from "./filter-nodes.ts";
import { likePattern } from "./like-pattern.ts";
import type { ParamCast, SqlParams } from "./sql-builder.ts";

/** The alias of the searched table in every statement this library builds. */
export const ROOT_ALIAS = "t0";

/** What {@link compileFilter} needs: the schema, the model in scope and the statement's parameters. */
export interface CompileOptions {
  readonly schema: StoreSchema;
  readonly model: ModelMeta;
  readonly params: SqlParams;
  /** Alias of `model`'s table in the statement; default {@link ROOT_ALIAS}. */
  readonly alias?: string;
}

interface Scope {
  readonly schema: StoreSchema;
  readonly model: ModelMeta;
  readonly params: SqlParams;
  readonly alias: string;
  readonly depth: number;
}

/**
 * Turns a {@link FilterNode} into a boolean SQL expression over `"t0"` (the model's table).
 * Values become `$n` parameters through `params`; column names come from the schema's fields.
 *
 * @example
 * ```ts
 * const params = new SqlParams();
 * compileFilter(parseWhere(schema.Annotation, schema, { page: { gte: 2 } }), { schema, model: schema.Annotation, params });
 * // '"t0"."page" >= $1', params.values = [2]
 * ```
 */
export function compileFilter(node: FilterNode, options: CompileOptions): string {
  return compile(node, { ...options, alias: options.alias ?? ROOT_ALIAS, depth: 0 });
}

function compile(node: FilterNode, s: Scope): string {
  switch (node.kind) {
    case "constant":
      return node.value ? "TRUE" : "FALSE";
    case "and":
      return `(${node.filters.map((f) => compile(f, s)).join(" AND ")})`;
    case "or":
      return `(${node.filters.map((f) => compile(f, s)).join(" OR ")})`;
    case "not": {
      const inner = compile(node.filter, s);
      return node.filter.kind === "and" || node.filter.kind === "or" ? `NOT ${inner}` : `NOT (${inner})`;
    }
    case "compare": {
      const col = column(s, node.field);
      const value = bind(s, node.field, node.value);
      return node.insensitive ? `lower(${col}) ${node.op} lower(${value})` : `${col} ${node.op} ${value}`;
    }
    case "in": {
      const col = node.insensitive ? `lower(${column(s, node.field)})` : column(s, node.field);
      const values = node.values.map((v) =>
        node.insensitive ? `lower(${bind(s, node.field, v)})` : bind(s, node.field, v),
      );
      return `${col} ${node.negated ? "NOT IN" : "IN"} (${values.join(", ")})`;
    }
    case "isNull":
      return `${column(s, node.field)} IS ${node.negated ? "NOT " : ""}NULL`;
    case "like":
      return `${column(s, node.field)} ${node.insensitive ? "ILIKE" : "LIKE"} ${s.params.param(likePattern(node.match, node.value))}`;
    case "json":
      return compileJson(node, column(s, node.field), s.params);
    case "relation":
      return compileRelation(node, s);
  }
}

/** `is`/`some`: EXISTS a match; `none`: NOT EXISTS a match; `every`/`isNot`: as Prisma, on NOT(filter). */
function compileRelation(node: RelationNode, s: Scope): string {
  const target = s.schema[node.target];
  const alias = `t${s.depth + 1}`;
  const fk = s.schema.documentForeignKey;
  // Annotation.documentId = Document.id, whichever side is in scope.
  const join =
    node.target === "Document"
      ? `${qualified(alias, target.idField.column)} = ${qualified(s.alias, fk.column)}`
      : `${qualified(alias, fk.column)} = ${qualified(s.alias, s.model.idField.column)}`;
  const negate = node.quantifier === "every" || node.quantifier === "isNot";
  const inner = compile(negate ? not(node.filter) : node.filter, { ...s, model: target, alias, depth: s.depth + 1 });
  const where = inner === "TRUE" ? join : `${join} AND ${inner}`;
  const exists = `EXISTS (SELECT 1 FROM ${quoteTable(target)} AS ${quoteIdent(alias)} WHERE ${where})`;
  return node.quantifier === "none" || node.quantifier === "every" ? `NOT ${exists}` : exists;
}

function column(s: Scope, field: ScalarField): string {
  return qualified(s.alias, field.column);
}

/**
 * Binds a scalar operand. Without a cast PostgreSQL types the parameter like the column, which
 * keeps b-tree indexes usable; only a fractional number against an integer column needs one.
 */
function bind(s: Scope, field: ScalarField, value: ScalarValue): string {
  if (value instanceof Date) return s.params.param(dateToSql(value, `where.${field.name}`));
  if (typeof value === "bigint") return s.params.param(value.toString());
  let cast: ParamCast | undefined;
  if (typeof value === "number" && !Number.isInteger(value) && (field.type === "Int" || field.type === "BigInt"))
    cast = "numeric";
  return s.params.param(value, cast);
}
