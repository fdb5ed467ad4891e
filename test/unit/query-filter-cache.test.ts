import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FilterCache, whereKey } from "../../src/query/filter-cache.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import { projectSchema } from "../helpers/query.ts";

const schema = projectSchema();
const parse = (w: unknown) => parseWhere(schema.Annotation, schema, w);

describe("filters parsed once per distinct where", () => {
  test("the same content gives the same node; any difference in value or type gives another", () => {
    const cache = new FilterCache();
    let parses = 0;
    const get = (w: unknown) =>
      cache.get(w, (x) => {
        parses++;
        return parse(x);
      });
    const a = get({ label: "x", page: { gte: 2 } });
    assert.equal(get({ label: "x", page: { gte: 2 } }), a);
    assert.equal(parses, 1);
    assert.notEqual(get({ label: "y", page: { gte: 2 } }), a);
    assert.notEqual(get({ label: "x", page: { gte: 3 } }), a);
    assert.equal(parses, 3);
  });

  test("keys tell apart what JSON would merge; unsure values are not cached", () => {
    const distinct = [1, "1", 1n, true, null, undefined, -0, 0, new Date(1), "d1", [1], { 0: 1 }, [undefined], []];
    const keys = distinct.map((v) => whereKey({ a: v }));
    assert.equal(new Set(keys).size, distinct.length);
    class Decimal {
      constructor(readonly v: string) {}
    }
    assert.equal(whereKey({ a: new Decimal("1") }), undefined);
    assert.equal(whereKey({ [Symbol("s")]: 1 }), undefined);
  });

  test("a parse that throws is not cached; the cache stays within its byte budget", () => {
    const cache = new FilterCache(4096);
    assert.throws(() => cache.get({ nope: 1 }, parse));
    assert.throws(() => cache.get({ nope: 1 }, parse));
    let parses = 0;
    const counted = (x: unknown) => {
      parses++;
      return parse(x);
    };
    for (let i = 0; i < 100; i++) cache.get({ label: `l${i}` }, counted);
    cache.get({ label: "l0" }, counted);
    assert.equal(parses, 101, "the oldest entries were dropped");
  });
});
