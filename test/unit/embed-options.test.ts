import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { defaultEmbedder } from "../../src/embed/default-embedder.ts";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";
import { resolveMiniLmOptions } from "../../src/embed/minilm-options.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const invalid = (options: Record<string, unknown>, path: string, environment = {}) => {
  assert.throws(
    () => resolveMiniLmOptions(options, environment),
    (error: unknown) => error instanceof InvalidArgumentError && error.issues.some((issue) => issue.path[0] === path),
    `${JSON.stringify(options)} should be rejected at ${path}`,
  );
};

describe("MiniLmEmbedder options", () => {
  it("defaults to the quantized all-MiniLM-L6-v2 from the hub", () => {
    const { location, batchSize, maxTokens, dimensions } = resolveMiniLmOptions({}, {});
    assert.deepEqual(location, {
      model: "Xenova/all-MiniLM-L6-v2",
      named: false,
      modelDir: undefined,
      cacheDir: undefined,
      allowRemote: true,
      quantized: true,
      downloadTimeoutMs: 30_000,
    });
    assert.deepEqual([batchSize, maxTokens, dimensions], [32, 256, 384]);
  });

  it("rejects bad values with InvalidArgumentError naming the option", () => {
    invalid({ batchSize: 0 }, "batchSize");
    invalid({ batchSize: 1.5 }, "batchSize");
    invalid({ batchSize: "32" }, "batchSize");
    invalid({ maxTokens: 2 }, "maxTokens");
    invalid({ maxTokens: 513 }, "maxTokens");
    invalid({ dimensions: -1 }, "dimensions");
    invalid({ model: "" }, "model");
    invalid({ modelDir: 7 }, "modelDir");
    invalid({ quantized: "yes" }, "quantized");
    invalid({ modelDir: "/m", allowRemote: true }, "allowRemote");
    invalid({ batchsize: 8 }, "batchsize");
    invalid({}, "PHS_ALLOW_REMOTE_MODELS", { PHS_ALLOW_REMOTE_MODELS: "maybe" });
    invalid({ downloadTimeoutMs: 999 }, "downloadTimeoutMs");
    invalid({}, "PHS_DOWNLOAD_TIMEOUT_MS", { PHS_DOWNLOAD_TIMEOUT_MS: "30s" });
    assert.throws(() => new MiniLmEmbedder({ batchSize: -3 }), InvalidArgumentError);
  });

  it("reads the environment when options are absent", () => {
    const environment = { PHS_MODEL_DIR: "models/minilm", PHS_CACHE_DIR: "/cache", PHS_MODEL: "org/model" };
    const { location } = resolveMiniLmOptions({}, environment);
    assert.equal(location.modelDir, resolve("models/minilm"));
    assert.equal(location.model, "org/model");
    assert.equal(location.cacheDir, "/cache");
    assert.equal(location.allowRemote, false, "a local directory turns remote loading off");
  });

  it("lets explicit options win, and an explicit model ignore PHS_MODEL_DIR", () => {
    const environment = { PHS_MODEL_DIR: "/env/dir", PHS_CACHE_DIR: "/env/cache" };
    const { location } = resolveMiniLmOptions({ model: "org/other", cacheDir: "/mine" }, environment);
    assert.equal(location.modelDir, undefined);
    assert.equal(location.cacheDir, "/mine");
    assert.equal(location.allowRemote, true);
  });

  it("understands PHS_ALLOW_REMOTE_MODELS and the Hugging Face cache variables", () => {
    for (const value of ["0", "false", "FALSE", "off"]) {
      assert.equal(resolveMiniLmOptions({}, { PHS_ALLOW_REMOTE_MODELS: value }).location.allowRemote, false);
    }
    assert.equal(
      resolveMiniLmOptions({ allowRemote: true }, { PHS_ALLOW_REMOTE_MODELS: "0" }).location.allowRemote,
      true,
    );
    assert.equal(resolveMiniLmOptions({}, { TRANSFORMERS_CACHE: "/tc", HF_HOME: "/hf" }).location.cacheDir, "/tc");
    assert.equal(resolveMiniLmOptions({}, { HF_HOME: "/hf" }).location.cacheDir, join("/hf", "hub"));
  });

  it("exposes its settings", () => {
    const embedder = new MiniLmEmbedder({ model: "org/m", batchSize: 8, maxTokens: 128, quantized: false });
    assert.deepEqual(
      [embedder.modelId, embedder.batchSize, embedder.maxTokens, embedder.dimensions],
      ["org/m", 8, 128, 384],
    );
  });

  it("shares one default embedder across the process", () => {
    assert.equal(defaultEmbedder(), defaultEmbedder());
    assert.ok(defaultEmbedder() instanceof MiniLmEmbedder);
  });
});
