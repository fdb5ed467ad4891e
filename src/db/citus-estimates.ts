import { DatabaseUnavailableError } from "../errors.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { SqlParams } from "../sql/sql-params.ts";
import type { RawClient } from "./execute.ts";
import { queryRows } from "./execute.ts";

/**
 * The planner's row estimate for `EXPLAIN (FORMAT JSON) SELECT ... FROM <relation> AS ...` on a
 * Citus table, summed over its shards; undefined when the statement is not of that shape or the
 * shards do not answer (the caller then keeps the coordinator's estimate).
 *
 * Why: on a distributed table the coordinator's EXPLAIN reports Citus's generic 100,000 rows
 * whatever the filter, and it cannot show a shard's plan for a statement with parameters
 * ("Could not get remote plan"), so a plan chosen from it is blind. Each shard has its own
 * statistics: this runs the same EXPLAIN on every shard (`run_command_on_shards`, in parallel)
 * and adds up their estimates. `run_command_on_shards` takes SQL text, so the values are still
 * sent as bound parameters and quoted into the text by the server (`quote_nullable`), never by
 * this code.
 */
export async function shardRowEstimate(
  client: RawClient,
  relation: string,
  explain: CompiledQuery,
): Promise<number | undefined> {
  const from = ` FROM ${relation} AS `;
  const at = explain.sql.indexOf(from);
  if (!explain.sql.startsWith("EXPLAIN (FORMAT JSON) SELECT ") || at < 0) return undefined;
  // Two rounds of format(): ours puts the quoted values in, Citus's puts each shard's name in.
  const template = `${shardTemplate(explain.sql.slice(0, at))} FROM %%s AS ${shardTemplate(explain.sql.slice(at + from.length))}`;
  const params = new SqlParams();
  const shards = `run_command_on_shards(${params.param(relation, "regclass")}, format(${params.param(template)}`;
  // format()'s n-th value argument is the EXPLAIN's n-th parameter, whatever its number here.
  const values = explain.params.map((v) => `, replace(quote_nullable(${params.param(v, "text")}), '%', '%%')`);
  let rows: { success: boolean; result: string }[];
  try {
    rows = await queryRows<{ success: boolean; result: string }>(
      client,
      params.finish(`SELECT success, result FROM ${shards}${values.join("")}))`),
    );
  } catch (error) {
    // A role that may not run commands on the shards still searches, with the generic estimate.
    if (error instanceof DatabaseUnavailableError) throw error;
    return undefined;
  }
  let total = 0;
  for (const row of rows) {
    const estimate = row.success ? planRows(row.result) : undefined;
    if (estimate === undefined) return undefined;
    total += estimate;
  }
  return rows.length > 0 ? total : undefined;
}

/**
 * The SQL as a format() template: `$n` becomes `%n$s` (the n-th quoted value), and a `%` of the
 * SQL itself `%%%%` (format() makes it `%%`, Citus's format() `%`). Quoted identifiers and
 * string literals are copied as they are, but for their `%`.
 */
function shardTemplate(sql: string): string {
  let out = "";
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] as string;
    if (ch === "%") {
      out += "%%%%";
    } else if (quote) {
      out += ch;
      if (ch === quote) quote = null; // a doubled quote closes and reopens: same result
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      out += ch;
    } else if (ch === "$" && /\d/.test(sql[i + 1] ?? "")) {
      let j = i + 1;
      while (/\d/.test(sql[j] ?? "")) j++;
      out += `%${sql.slice(i + 1, j)}$s`; // format()'s n-th value argument is the statement's $n
      i = j - 1;
    } else {
      out += ch;
    }
  }
  return out;
}

function planRows(result: string): number | undefined {
  try {
    const parsed = JSON.parse(result) as { Plan?: { "Plan Rows"?: unknown } }[];
    const rows = parsed[0]?.Plan?.["Plan Rows"];
    return typeof rows === "number" ? rows : undefined;
  } catch {
    return undefined;
  }
}
