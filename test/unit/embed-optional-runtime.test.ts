import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

// A module hook that makes @huggingface/transformers unresolvable, as in a project that did not
// install the optional peer dependency.
const HIDE = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(
  "export async function resolve(specifier, context, next) {" +
  "  if (specifier === '@huggingface/transformers') throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });" +
  "  return next(specifier, context);" +
  "}"));
`)}`;

const SCRIPT = `
import { hybridStore, MiniLmEmbedder, EmbeddingError } from "./src/index.ts";
import { PrismaHybridVectorStore } from "./src/llamaindex/index.ts";
const embedder = { modelId: "mine", dimensions: 3, embed: async (texts) => texts.map(() => [1, 0, 0]) };
hybridStore({ embedder });
const minilm = new MiniLmEmbedder({ allowRemote: false });
try {
  await minilm.embed(["x"]);
  console.log("embedded without transformers.js?");
} catch (error) {
  console.log(JSON.stringify({ isEmbeddingError: error instanceof EmbeddingError, code: error.code, message: error.message }));
}
console.log(typeof PrismaHybridVectorStore);
`;

function run(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--import", HIDE, "--input-type=module", "-e", SCRIPT], {
      cwd: root,
      env: { ...process.env, PHS_MODEL_DIR: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("without @huggingface/transformers (an optional peer dependency)", () => {
  it("the library loads and takes your own embedder; MiniLmEmbedder says how to install the runtime", async () => {
    const result = await run();
    assert.equal(result.code, 0, result.stderr);
    const [line, store] = result.stdout.trim().split("\n");
    const outcome = JSON.parse(line ?? "{}") as { isEmbeddingError: boolean; code: string; message: string };
    assert.equal(outcome.isEmbeddingError, true, line);
    assert.equal(outcome.code, "EMBEDDING_FAILED");
    assert.match(outcome.message, /npm install @huggingface\/transformers/);
    assert.equal(store, "function");
  });
});
