import type { FilterNode } from "./filter-nodes.ts";

/** Keys longer than this (long `in` lists) are parsed every time instead of cached. */
const MAX_KEY_CHARS = 4096;
/** What one entry is charged besides its key: the map slot and the node objects. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * Parsed filters by the content of the `where` object, so a search that repeats a filter (the
 * common case: a tenant, a label) parses it once, and its plan estimate is found by node
 * identity (plan.ts) without compiling it again. Bounded in bytes (least recently used out);
 * filter nodes are frozen, so sharing one between searches is safe. Only values whose content
 * the key captures exactly are cached: plain objects, arrays, strings, numbers, booleans,
 * null, undefined, bigints and Dates; anything else (a Decimal, a class instance, a symbol key)
 * is parsed every time. A parse that throws is never cached.
 */
export class FilterCache {
  readonly #entries = new Map<string, FilterNode>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes = 256 * 1024) {
    this.#maxBytes = maxBytes;
  }

  get(where: unknown, parse: (where: unknown) => FilterNode): FilterNode {
    const key = whereKey(where);
    if (key === undefined || key.length > MAX_KEY_CHARS) return parse(where);
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const node = parse(where);
    this.#entries.set(key, node);
    this.#bytes += cost(key);
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= cost(oldest);
    }
    return node;
  }
}

// UTF-16 key, and a node holding about the same values.
const cost = (key: string) => 4 * key.length + ENTRY_OVERHEAD_BYTES;

/** A string that differs whenever the parse could differ, or undefined when that is not sure. */
export function whereKey(value: unknown): string | undefined {
  const out: string[] = [];
  return write(value, out, 0) ? out.join("") : undefined;
}

function write(v: unknown, out: string[], depth: number): boolean {
  if (depth > 128) return false;
  switch (typeof v) {
    case "string":
      out.push(JSON.stringify(v));
      return true;
    case "number":
      out.push(Object.is(v, -0) ? "n-0" : `n${v}`);
      return true;
    case "boolean":
      out.push(v ? "T" : "F");
      return true;
    case "undefined":
      out.push("U");
      return true;
    case "bigint":
      out.push(`b${v}`);
      return true;
    case "object": {
      if (v === null) {
        out.push("N");
        return true;
      }
      if (v instanceof Date) {
        out.push(`d${v.getTime()}`);
        return true;
      }
      if (Array.isArray(v)) {
        out.push("[");
        for (const x of v) {
          if (!write(x, out, depth + 1)) return false;
          out.push(",");
        }
        out.push("]");
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(v).length > 0) return false;
      out.push("{");
      for (const [k, x] of Object.entries(v)) {
        out.push(JSON.stringify(k), ":");
        if (!write(x, out, depth + 1)) return false;
        out.push(",");
      }
      out.push("}");
      return true;
    }
    default:
      return false;
  }
}
