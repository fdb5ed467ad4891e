import { join } from "node:path";
import { env } from "@huggingface/transformers";

/**
 * Where one embedder's model comes from, fixed when the embedder is created.
 *
 * @example
 * ```ts
 * const local: ModelLocation = { model: "Xenova/all-MiniLM-L6-v2", modelDir: "/models/minilm", allowRemote: false, quantized: true };
 * ```
 */
export interface ModelLocation {
  /** Hub id; the name the vectors are stored under. */
  readonly model: string;
  /** Absolute path of a local copy; when set, nothing else is consulted. */
  readonly modelDir?: string | undefined;
  /** Download cache; undefined keeps transformers.js's own `env.cacheDir`. */
  readonly cacheDir?: string | undefined;
  readonly allowRemote: boolean;
  /** `dtype: "q8"` (onnx/model_quantized.onnx) rather than fp32 (onnx/model.onnx). */
  readonly quantized: boolean;
}

/**
 * The places a load consults, in order, for error messages that say where to put the files.
 *
 * @example
 * ```ts
 * searchedPlaces({ model: "m", modelDir: "/x", allowRemote: false, quantized: true }); // ["local directory /x"]
 * ```
 */
export function searchedPlaces(location: ModelLocation): string[] {
  const weights = location.quantized ? "onnx/model_quantized.onnx" : "onnx/model.onnx";
  if (location.modelDir !== undefined) return [`local directory ${location.modelDir} (expects ${weights})`];
  return [
    `cache directory ${location.cacheDir ?? env.cacheDir ?? "(none)"}`,
    `local models path ${join(env.localModelPath, location.model)}`,
    location.allowRemote
      ? `Hugging Face Hub ${env.remoteHost}${location.model} (${weights})`
      : "Hugging Face Hub (remote loading disabled)",
  ];
}
