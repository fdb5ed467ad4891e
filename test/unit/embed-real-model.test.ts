import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";

// Opt-in: the real weights (23-90 MB) are not in the repository and the hub may be unreachable.
// PHS_REAL_MODEL_DIR=/path/to/all-MiniLM-L6-v2 (config.json, tokenizer*.json, onnx/model*.onnx).
const modelDir = process.env.PHS_REAL_MODEL_DIR?.trim() || undefined;
const skip = modelDir ? false : "set PHS_REAL_MODEL_DIR to a local all-MiniLM-L6-v2 copy to run this test";

it("matches sentence-transformers' all-MiniLM-L6-v2 output", { skip }, async () => {
  const dir = modelDir as string;
  // fp32 weights reproduce the reference closely; the 8-bit model is within the tolerance below.
  const quantized = !existsSync(join(dir, "onnx", "model.onnx"));
  const embedder = new MiniLmEmbedder({ modelDir: dir, quantized });
  const [vector] = await embedder.embed(["This is an example sentence"]);
  assert.equal(embedder.modelId, "Xenova/all-MiniLM-L6-v2");
  assert.equal(vector?.length, 384);
  const reference = [0.04592696577310562, 0.07328180968761444, 0.05400655046105385];
  reference.forEach((expected, i) => {
    const actual = vector?.[i] ?? Number.NaN;
    assert.ok(Math.abs(actual - expected) < 2e-3, `component ${i}: ${actual} vs ${expected} (quantized: ${quantized})`);
  });
});
