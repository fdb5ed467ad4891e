import { resolve } from "node:path";
import { MiniLmEmbedder, ModelNotFoundError } from "../index.ts";
import { loadCliEmbedder } from "./load-model.ts";
import { packagePaths } from "./package-paths.ts";

/** The model the demo runs on, and why. */
export interface DemoModel {
  readonly embedder: MiniLmEmbedder;
  /** True for the bundled test model: its vectors share words, not meaning. */
  readonly tiny: boolean;
  /** Why the real model could not be used, when `tiny` is a fallback. */
  readonly failure?: ModelNotFoundError;
  readonly seconds: number;
}

/** Name the tiny model's vectors are stored under, so they are never mistaken for MiniLM's. */
export const TINY_MODEL_ID = "prisma-hybrid-store/tiny-test-model";

/** all-MiniLM-L6-v2 as the other commands load it; on ModelNotFoundError the bundled tiny test model. */
export async function loadDemoModel(
  modelDir: string | undefined,
  announce: (line: string) => void,
): Promise<DemoModel> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const dir = modelDir ?? process.env.PHS_MODEL_DIR;
  try {
    const embedder = await loadCliEmbedder(modelDir, announce);
    const tiny = dir !== undefined && dir.trim() !== "" && resolve(dir) === resolve(packagePaths.tinyModel);
    return { embedder, tiny, seconds: seconds() };
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw error;
    const tiny = new MiniLmEmbedder({ model: TINY_MODEL_ID, modelDir: packagePaths.tinyModel });
    await tiny.ready();
    return { embedder: tiny, tiny: true, failure: error, seconds: seconds() };
  }
}

/** The paragraph the demo prints when it falls back to the tiny model: why, and how to get the real one. */
export function fallbackNotice(failure: ModelNotFoundError): string {
  const places = failure.searched.join("; ");
  const why = places.startsWith("local directory")
    ? `the directory given does not hold it (${places})`
    : places.includes("remote loading disabled")
      ? "it is not in the download cache and downloads are disabled (PHS_ALLOW_REMOTE_MODELS=0)"
      : "it is not in the download cache and the Hugging Face Hub cannot be reached (no network access?)";
  return [
    `NOTE: the embedding model ${failure.model} could not be loaded: ${why}.`,
    "With network access the demo downloads it once (about 23 MB) and caches it. Offline, copy",
    "config.json, tokenizer.json, tokenizer_config.json and onnx/model_quantized.onnx of",
    `https://huggingface.co/${failure.model} into a directory and run again with --model-dir DIR`,
    "(or PHS_MODEL_DIR=DIR). Until then the demo runs on the bundled TINY TEST MODEL: it has the",
    "real tokenizer but no learned weights, so the results below only reflect shared words.",
    "They are NOT semantic search results.",
  ].join("\n");
}
