/**
 * Which plan a store's search really ran: every store here talks to PostgreSQL through the one
 * `pg` package in node_modules, so patching `pg.Client.prototype.query` for the duration of one
 * probe call records the statements it sent. The search statement is then EXPLAINed (after the
 * transaction-local settings the store sent with it) on a separate connection.
 */
import pg from "pg";
import { withPg } from "./load.ts";

export interface Captured {
  readonly text: string;
  readonly values: unknown[];
}

type QueryFn = (...args: unknown[]) => unknown;

/** Runs `fn` and returns the statements sent through any pg client meanwhile. */
export async function capture<T>(fn: () => Promise<T>): Promise<{ result: T; queries: Captured[] }> {
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  const queries: Captured[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    if (typeof first === "string") queries.push({ text: first, values: Array.isArray(second) ? second : [] });
    else if (first && typeof first === "object" && "text" in first) {
      const q = first as { text: string; values?: unknown[] };
      queries.push({ text: q.text, values: q.values ?? [] });
    }
    return original.apply(this, args);
  };
  try {
    return { result: await fn(), queries };
  } finally {
    proto.query = original;
  }
}

const isSearch = (q: Captured) => /<=>/.test(q.text) && /\bORDER BY\b/i.test(q.text) && !/^\s*EXPLAIN/i.test(q.text);
const isSetting = (q: Captured) => !isSearch(q) && /set_config\(|^\s*SET\s/i.test(q.text);

/** A one-line summary of the plan of the last search statement among `queries`. */
export async function explainCaptured(url: string, queries: readonly Captured[]): Promise<string> {
  const search = [...queries].reverse().find(isSearch);
  if (!search) return "(no search statement seen)";
  const settings = queries.slice(0, queries.lastIndexOf(search)).filter(isSetting);
  return withPg(url, async (c) => {
    await c.query("BEGIN");
    try {
      for (const s of settings) await c.query(s.text.replace(/^\s*SET\s+(?!LOCAL)/i, "SET LOCAL "), s.values);
      const { rows } = await c.query(`EXPLAIN (FORMAT JSON) ${search.text}`, search.values);
      const methods = await indexMethods(c);
      return summarize((rows[0] as { "QUERY PLAN": { Plan: PlanNode }[] })["QUERY PLAN"][0]!.Plan, methods);
    } finally {
      await c.query("ROLLBACK");
    }
  });
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

async function indexMethods(c: pg.Client): Promise<Map<string, string>> {
  const { rows } = await c.query<{ name: string; am: string }>(
    `SELECT x.relname AS name, am.amname AS am FROM pg_class x JOIN pg_am am ON am.oid = x.relam WHERE x.relkind = 'i'`,
  );
  return new Map(rows.map((r) => [r.name, r.am]));
}

/** e.g. "HNSW index scan", "seq scan + sort", "btree bitmap scan + sort". */
export function summarize(plan: PlanNode, methods: Map<string, string>): string {
  const scans: string[] = [];
  let sort = false;
  const walk = (n: PlanNode) => {
    const type = n["Node Type"];
    if (type === "Sort" || type === "Incremental Sort") sort = true;
    if (type === "Seq Scan") scans.push("seq scan");
    else if (type === "Index Scan" || type === "Index Only Scan" || type === "Bitmap Index Scan") {
      const am = methods.get(n["Index Name"] ?? "") ?? "index";
      const kind = type === "Bitmap Index Scan" ? "bitmap scan" : "index scan";
      scans.push(am === "hnsw" ? "HNSW index scan" : `${am} ${kind}`);
    }
    for (const p of n.Plans ?? []) walk(p);
  };
  walk(plan);
  const unique = [...new Set(scans)];
  // An HNSW scan delivers rows in distance order; a Sort above it only re-sorts the top k.
  const sorted = sort && !unique.includes("HNSW index scan");
  return `${unique.join(" + ") || plan["Node Type"]}${sorted ? " + sort" : ""}`;
}
