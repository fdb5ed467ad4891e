import type { ScalarField, StoreSchema, TableMeta } from "../schema/model-meta.ts";
import { dateToSql } from "../sql/date-text.ts";
import { qualified, quoteIdent, quoteTable } from "../sql/identifiers.ts";
import type { ParamCast, SqlParams } from "../sql/sql-params.ts";
import { compileJson } from "./compile-json.ts";
import type { FilterNode, LikeMatch, RelationNode, ScalarValue } from "./filter-nodes.ts";
import { isColumnRef } from "./filter-nodes.ts";
import { likePattern } from "./like-pattern.ts";

/** The alias of the searched table in every statement this library builds. */
export const ROOT_ALIAS = "t0";

/** What {@link compileFilter} needs: the schema, the model in scope and the statement's parameters. */
export interface CompileOptions {
  readonly schema: StoreSchema;
  readonly model: TableMeta;
  readonly params: SqlParams;
  /** Alias of `model`'s table in the statement; default {@link ROOT_ALIAS}. */
  readonly alias?: string;
}

interface Scope {
  readonly schema: StoreSchema;
  readonly model: TableMeta;
  readonly params: SqlParams;
  readonly alias: string;
  readonly depth: number;
  /**
   * Under an odd number of NOTs. A WHERE keeps a row when its condition is TRUE, so under NOT
   * only "is it FALSE" matters and NULL counts as TRUE. Prisma's SQL keeps NULLs (a missing
   * JSON key, a NULL column behind a to-one relation) where an EXISTS or a type guard would say
   * FALSE; the nodes whose SQL differs there compile by polarity.
   */
  readonly negated: boolean;
  /**
   * Prisma's own "reverse" flag, flipped by NOT and `isNot` only (not by `every`): it writes
   * typed JSON filters as `(test OR jsonb_typeof(..) <> type)` while set.
   */
  readonly reversed: boolean;
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
  const { schema, model, params } = options;
  const alias = options.alias ?? ROOT_ALIAS;
  const start = params.values.length;
  const key = `${alias}\u0000${start}`;
  let byPlace = compiled.get(node);
  const hit = byPlace?.get(key);
  if (hit && hit.schema === schema && hit.model === model) {
    params.append(hit.values);
    return hit.sql;
  }
  const sql = compile(node, { schema, model, params, alias, depth: 0, negated: false, reversed: false });
  if (!byPlace || byPlace.size >= MAX_PLACES) {
    byPlace = new Map();
    compiled.set(node, byPlace);
  }
  byPlace.set(key, { schema, model, sql, values: params.values.slice(start) });
  return sql;
}

/**
 * Compiled filters by node, alias and first parameter number. The model methods reuse one frozen
 * node per distinct `where` (filter-cache.ts), and each statement compiles it at the same place,
 * so a repeated search binds the same values without walking the node again. The SQL depends on
 * nothing else but the schema and model, which each entry checks.
 */
const compiled = new WeakMap<FilterNode, Map<string, CompiledFilter>>();
/** Places remembered per node: a statement kind (search, hybrid, estimate, cursor) has one or two. */
const MAX_PLACES = 8;

interface CompiledFilter {
  readonly schema: StoreSchema;
  readonly model: TableMeta;
  readonly sql: string;
  readonly values: readonly unknown[];
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
      const inner = compile(node.filter, { ...s, negated: !s.negated, reversed: !s.reversed });
      return node.filter.kind === "and" || node.filter.kind === "or" ? `NOT ${inner}` : `NOT (${inner})`;
    }
    case "compare": {
      const col = column(s, node.field);
      const value = isColumnRef(node.value) ? column(s, node.value.field) : bind(s, node.field, node.value);
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
    case "like": {
      const pattern =
        typeof node.value === "string"
          ? s.params.param(likePattern(node.match, node.value))
          : columnLikePattern(node.match, column(s, node.value.field));
      return `${column(s, node.field)} ${node.insensitive ? "ILIKE" : "LIKE"} ${pattern}`;
    }
    case "json":
      return compileJson(node, column(s, node.field), s.params, s);
    case "relation":
      return compileRelation(node, s);
  }
}

/**
 * `some`: EXISTS a match; `none`: NOT EXISTS a match; `every`: NOT EXISTS a row failing it, as
 * Prisma. Prisma joins the to-one side, so `is` is the filter's own value on the related row
 * (FALSE, NULL or TRUE) and `isNot` its NOT: written as EXISTS a row where it is TRUE (`is`) or
 * FALSE (`isNot`), and under NOT (see `Scope.negated`) as NOT EXISTS of the opposite.
 */
function compileRelation(node: RelationNode, s: Scope): string {
  const target = s.schema.tables.get(node.target)!;
  const alias = `t${s.depth + 1}`;
  const join = node.join.map((j) => `${qualified(alias, j.inner)} = ${qualified(s.alias, j.outer)}`).join(" AND ");
  const q = node.quantifier;
  const isNot = q === "isNot";
  const failing = q === "every" || (q === "is" && s.negated) || (isNot && !s.negated);
  const outerNot = q === "every" || q === "none" || ((q === "is" || isNot) && s.negated);
  const scope = {
    ...s,
    model: target,
    alias,
    depth: s.depth + 1,
    negated: failing,
    reversed: isNot ? !s.reversed : s.reversed,
  };
  const test = compile(node.filter, scope);
  const inner = failing ? (test === "TRUE" ? "FALSE" : test === "FALSE" ? "TRUE" : `NOT (${test})`) : test;
  const where = inner === "TRUE" ? join : `${join} AND ${inner}`;
  const exists = `EXISTS (SELECT 1 FROM ${quoteTable(target)} AS ${quoteIdent(alias)} WHERE ${where})`;
  return outerNot ? `NOT ${exists}` : exists;
}

/** A LIKE pattern from another column's text, its wildcards escaped like a bound value's. */
function columnLikePattern(match: LikeMatch, col: string): string {
  const escaped = `replace(replace(replace(${col}, '\\', '\\\\'), '%', '\\%'), '_', '\\_')`;
  if (match === "startsWith") return `(${escaped} || '%')`;
  if (match === "endsWith") return `('%' || ${escaped})`;
  return `('%' || ${escaped} || '%')`;
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
