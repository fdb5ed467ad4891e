import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_CACHE_BYTES, EmbeddingCache } from "../../src/embed/embedding-cache.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { hybridStore } from "../../src/extension.ts";

const vector = (seed: number) => Array.from({ length: 384 }, (_, i) => Math.sin(seed + i));
// A distinct 1 MB text per index, as a caller searching or saving large texts sends them.
const megabyte = (i: number) => `${i}:`.padEnd(1024 * 1024, "x");

describe("EmbeddingCache", () => {
  test("300 distinct 1 MB texts stay within the byte budget, and a text costs what a short one does", () => {
    const cache = new EmbeddingCache(1000, 256 * 1024);
    cache.set(megabyte(-1), vector(-1));
    const big = cache.bytes;
    const short = new EmbeddingCache(1000);
    short.set("a", vector(-1));
    assert.equal(big, short.bytes, "the key is a hash: the text's length does not count");
    assert.ok(big < 4 * 1024, `one entry counts ${big} bytes`);
    for (let i = 0; i < 300; i++) {
      cache.set(megabyte(i), vector(i));
      assert.ok(cache.bytes <= 256 * 1024, `${cache.bytes} bytes after ${i + 1} texts`);
    }
    assert.equal(cache.size, Math.floor((256 * 1024) / big));
    assert.deepEqual(cache.get(megabyte(299)), vector(299), "the newest is kept");
    assert.equal(cache.get(megabyte(0)), undefined, "the oldest made room");
  });

  test("the entry bound still holds; least recently used goes first", () => {
    const cache = new EmbeddingCache(2);
    cache.set("a", vector(1));
    cache.set("b", vector(2));
    cache.get("a");
    cache.set("c", vector(3));
    assert.equal(cache.size, 2);
    assert.ok(cache.get("a"));
    assert.equal(cache.get("b"), undefined);
  });

  test("replacing a text's vector counts it once; size 0 or a budget below one entry keeps nothing", () => {
    const cache = new EmbeddingCache(10);
    cache.set("a", vector(1));
    const one = cache.bytes;
    cache.set("a", vector(2));
    assert.equal(cache.bytes, one);
    assert.deepEqual(cache.get("a"), vector(2));
    for (const tiny of [new EmbeddingCache(0), new EmbeddingCache(10, 100)]) {
      tiny.set("a", vector(1));
      assert.equal(tiny.size, 0);
      assert.equal(tiny.bytes, 0);
    }
    assert.ok(DEFAULT_CACHE_BYTES >= 1000 * one, "the default budget fits the default 1000 entries");
  });

  test("hybridStore checks cacheBytes at once", () => {
    for (const cacheBytes of [-1, 1.5, Number.NaN, "16MB"]) {
      assert.throws(() => hybridStore({ cacheBytes: cacheBytes as number }), InvalidArgumentError);
    }
    assert.equal(typeof hybridStore({ cacheBytes: 0 }), "function");
  });
});
