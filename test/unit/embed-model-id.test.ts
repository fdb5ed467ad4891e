import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";

const tinyModelDir = fileURLToPath(new URL("../../models/tiny-minilm", import.meta.url));
const temporary: string[] = [];
after(() => Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true }))));

async function copyOfTiny(name = "my-model"): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), "phs-model-id-"));
  temporary.push(parent);
  const dir = join(parent, name);
  await cp(tinyModelDir, dir, { recursive: true });
  return dir;
}

const sha12 = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex")
    .slice(0, 12);

describe("MiniLmEmbedder.modelId of a model directory", () => {
  it("is config.json's _name_or_path plus the weights' SHA-256, never the default hub id", async () => {
    const dir = await copyOfTiny();
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as { _name_or_path: string };
    const embedder = new MiniLmEmbedder({ modelDir: dir });
    const expected = `${config._name_or_path}@sha256:${await sha12(join(dir, "onnx/model_quantized.onnx"))}`;
    assert.equal(embedder.modelId, expected);
    assert.notEqual(embedder.modelId, new MiniLmEmbedder().modelId);
    // The rows are stored under the same id the embedder reports after embedding.
    await embedder.embed(["x"]);
    assert.equal(embedder.modelId, expected);
  });

  it("changes when the weights change, so $reembed can tell the models apart", async () => {
    const dir = await copyOfTiny();
    const before = new MiniLmEmbedder({ modelDir: dir }).modelId;
    await appendFile(join(dir, "onnx/model_quantized.onnx"), Buffer.from([0]));
    const after = new MiniLmEmbedder({ modelDir: dir }).modelId;
    assert.notEqual(after, before);
    assert.equal(after.split("@")[0], before.split("@")[0]);
  });

  it("uses the given model name, else the directory name when config.json names none; fp32 hashes model.onnx", async () => {
    const dir = await copyOfTiny("minilm-copy");
    assert.match(
      new MiniLmEmbedder({ model: "acme/minilm", modelDir: dir }).modelId,
      /^acme\/minilm@sha256:[0-9a-f]{12}$/,
    );
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    delete config._name_or_path;
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    const fp32 = new MiniLmEmbedder({ modelDir: dir, quantized: false });
    assert.equal(fp32.modelId, `minilm-copy@sha256:${await sha12(join(dir, "onnx/model.onnx"))}`);
  });

  it("a directory without weights yet: its name, and the hash once the files are there", async () => {
    const parent = await mkdtemp(join(tmpdir(), "phs-model-id-"));
    temporary.push(parent);
    const dir = join(parent, "later");
    const embedder = new MiniLmEmbedder({ modelDir: dir });
    assert.equal(embedder.modelId, "later");
    await cp(tinyModelDir, dir, { recursive: true });
    assert.match(embedder.modelId, /@sha256:[0-9a-f]{12}$/);
  });
});
