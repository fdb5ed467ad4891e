import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { env, pipeline } from "@huggingface/transformers";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";
import { DimensionMismatchError, InvalidArgumentError, ModelNotFoundError } from "../../src/errors.ts";

// A synthetic bag-of-words model with the real tokenizer (see models/tiny-minilm/README.md):
// compare orderings, never absolute similarity values.
const tinyModelDir = fileURLToPath(new URL("../../models/tiny-minilm", import.meta.url));
const tiny = (options = {}) => new MiniLmEmbedder({ model: "tiny-minilm", modelDir: tinyModelDir, ...options });
const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
const norm = (v: number[]) => Math.sqrt(cosine(v, v));
const assertClose = (a: number[], b: number[], tolerance = 1e-6) => {
  assert.equal(a.length, b.length);
  for (const [i, x] of a.entries()) {
    assert.ok(Math.abs(x - (b[i] ?? Number.NaN)) <= tolerance, `index ${i}: ${x} vs ${b[i]}`);
  }
};
const temporary: string[] = [];
after(() => Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true }))));

describe("MiniLmEmbedder on the tiny fixture model", () => {
  const embedder = tiny();

  it("returns unit-length plain-number vectors of 384 dimensions", async () => {
    const vectors = await embedder.embed(["This is an example sentence", ""]);
    assert.match(embedder.modelId, /^tiny-minilm@sha256:[0-9a-f]{12}$/);
    assert.equal(embedder.dimensions, 384);
    assert.equal(vectors.length, 2);
    for (const vector of vectors) {
      assert.ok(Array.isArray(vector) && vector.length === 384);
      assert.ok(vector.every((x) => typeof x === "number" && Number.isFinite(x)));
      assert.ok(Math.abs(norm(vector) - 1) < 1e-9);
    }
  });

  it("is deterministic across instances and dtype settings", async () => {
    const text = ["Deterministic vectors, please."];
    const [a] = await embedder.embed(text);
    const [b] = await tiny({ quantized: false }).embed(text);
    assertClose(a ?? [], b ?? [], 0);
  });

  it("gives a text the same vector alone or in a padded batch", async () => {
    const texts = ["short", "a somewhat longer sentence about cats", "", "mid length text here", "x y z ".repeat(40)];
    const batched = await tiny({ batchSize: 2 }).embed(texts);
    for (const [i, text] of texts.entries()) {
      const [single] = await embedder.embed([text]);
      assertClose(batched[i] ?? [], single ?? []);
    }
  });

  it("agrees with transformers.js's feature-extraction pipeline on short texts", async () => {
    const texts = ["the cat sat on the mat", "Hello, World!", ""];
    const extractor = await pipeline("feature-extraction", tinyModelDir, { local_files_only: true, dtype: "q8" });
    const expected = (await extractor(texts, { pooling: "mean", normalize: true })).tolist() as number[][];
    const actual = await embedder.embed(texts);
    for (const i of texts.keys()) assertClose(actual[i] ?? [], expected[i] ?? []);
  });

  it("puts texts that share words closer than unrelated texts", async () => {
    const [cat, cat2, physics] = await embedder.embed([
      "the cat sat on the mat",
      "a cat on a mat",
      "quantum chromodynamics lecture notes",
    ]);
    assert.ok(cosine(cat ?? [], cat2 ?? []) > cosine(cat ?? [], physics ?? []));
    assert.ok(cosine(cat2 ?? [], cat ?? []) > cosine(cat2 ?? [], physics ?? []));
  });

  it("cuts long texts at 256 word pieces, [CLS] and [SEP] included", async () => {
    // Each of these words is one word piece, so n words are n pieces.
    const words = ["the", "cat", "sat", "on", "mat", "dog", "ran", "in", "park", "house"];
    const text = (n: number, offset = 0) =>
      Array.from({ length: n }, (_, i) => words[(i * 7 + offset * (i >= 300 ? 1 : 0)) % words.length]).join(" ");
    const [long, otherTail, first254, first253] = await embedder.embed([
      text(20_000),
      text(20_000, 3),
      text(254),
      text(253),
    ]);
    assertClose(long ?? [], otherTail ?? [], 0);
    assertClose(long ?? [], first254 ?? []);
    assert.notDeepEqual(long, first253);
  });

  it("loads once under concurrent first calls, through one ready() promise", async () => {
    const fresh = tiny();
    const first = fresh.ready();
    assert.equal(fresh.ready(), first);
    const results = await Promise.all([fresh.embed(["one"]), fresh.embed(["two"]), fresh.ready()]);
    assert.equal(fresh.ready(), first);
    assert.equal(results[0].length, 1);
  });

  it("rejects non-string inputs and embeds [] without loading", async () => {
    const missing = tiny({ modelDir: join(tmpdir(), "phs-no-such-model-dir") });
    assert.deepEqual(await missing.embed([]), []);
    await assert.rejects(embedder.embed(["ok", 42 as unknown as string]), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.deepEqual(error.issues[0]?.path, [1]);
      return true;
    });
    await assert.rejects(embedder.embed("text" as unknown as string[]), InvalidArgumentError);
    await assert.rejects(embedder.embed(new Array<string>(2)), InvalidArgumentError);
  });

  it("reports a missing model directory, then retries once it exists", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "phs-model-")), "copy");
    temporary.push(dir);
    const later = tiny({ modelDir: dir });
    await assert.rejects(later.ready(), (error: unknown) => {
      assert.ok(error instanceof ModelNotFoundError);
      assert.equal(error.code, "MODEL_NOT_FOUND");
      assert.match(error.message, new RegExp(dir.replaceAll("\\", "\\\\")));
      assert.ok(error.cause);
      return true;
    });
    await cp(tinyModelDir, dir, { recursive: true });
    const [vector] = await later.embed(["now it loads"]);
    assert.equal(vector?.length, 384);
  });

  it("names the places looked in when a hub model is not available offline", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "phs-cache-"));
    temporary.push(cacheDir);
    const offline = new MiniLmEmbedder({ model: "Xenova/all-MiniLM-L6-v2", allowRemote: false, cacheDir });
    assert.equal(offline.modelId, "Xenova/all-MiniLM-L6-v2");
    await assert.rejects(offline.embed(["x"]), (error: unknown) => {
      assert.ok(error instanceof ModelNotFoundError);
      assert.ok(error.searched.some((place) => place.includes(cacheDir)));
      assert.ok(error.searched.some((place) => place.includes("remote loading disabled")));
      return true;
    });
  });

  it("loads two locations at once and leaves transformers.js env as it was", async () => {
    const before = { ...env };
    const copy = join(await mkdtemp(join(tmpdir(), "phs-model-")), "copy");
    temporary.push(copy);
    await cp(tinyModelDir, copy, { recursive: true });
    const [a, b] = await Promise.all([tiny().embed(["same"]), tiny({ modelDir: copy }).embed(["same"])]);
    assertClose(a?.[0] ?? [], b?.[0] ?? [], 0);
    assert.equal(env.allowRemoteModels, before.allowRemoteModels);
    assert.equal(env.cacheDir, before.cacheDir);
    assert.equal(env.localModelPath, before.localModelPath);
  });

  it("throws DimensionMismatchError when the model's width differs from `dimensions`", async () => {
    await assert.rejects(tiny({ dimensions: 768 }).embed(["x"]), (error: unknown) => {
      assert.ok(error instanceof DimensionMismatchError);
      assert.equal(error.expected, 768);
      assert.equal(error.received, 384);
      return true;
    });
  });
});
