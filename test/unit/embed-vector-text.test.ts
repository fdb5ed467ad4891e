import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { vectorToSql } from "../../src/sql/vector-text.ts";

/** A seeded PRNG (mulberry32), so a failure names a reproducible value. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const values = (text: string) => text.slice(1, -1).split(",");
const significantDigits = (value: string) =>
  value.replace(/^-/, "").replace(/e.*$/, "").replace(".", "").replace(/^0+/, "").length;

describe("vectorToSql", () => {
  it("prints pgvector's text form with float32 values in at most 9 significant digits", () => {
    assert.equal(vectorToSql([]), "[]");
    assert.equal(vectorToSql([0.5, -0.25, 1, 0, -0, 3]), "[0.5,-0.25,1,0,0,3]");
    assert.equal(vectorToSql([0.1, -1 / 3]), "[0.100000001,-0.333333343]");
    assert.equal(vectorToSql([2.5e-7, 1.5e10, -1e-40]), "[2.49999999e-7,1.50000005e+10,-9.9999461e-41]");
  });

  it("reads back as exactly the float32 the database would store, over many magnitudes", () => {
    const next = random(42);
    for (let i = 0; i < 100_000; i++) {
      // 1e-46 to 1e38: float32's subnormals and its largest values included
      const x = (next() - 0.5) * 10 ** Math.floor(next() * 85 - 46);
      const [text] = values(vectorToSql([x]));
      // === (not Object.is): -0 prints as 0, which is what the old `join` form sent as well.
      assert.ok(Math.fround(Number(text)) === Math.fround(x), `${x} printed as ${text}`);
      assert.ok(significantDigits(text!) <= 9, `${x} printed as ${text}`);
    }
  });

  it("keeps non-finite values visible, for the database to reject", () => {
    assert.equal(vectorToSql([Number.NaN, Number.POSITIVE_INFINITY, -1e39]), "[NaN,Infinity,-Infinity]");
  });

  it("is about 35% shorter than JavaScript's full float64 digits for a unit vector", () => {
    const next = random(7);
    const raw = Array.from({ length: 384 }, () => next() - 0.5);
    const norm = Math.hypot(...raw);
    const vector = raw.map((x) => x / norm);
    const full = `[${vector.join(",")}]`.length;
    const short = vectorToSql(vector).length;
    assert.ok(short < 0.7 * full, `${short} vs ${full} characters`);
  });
});
