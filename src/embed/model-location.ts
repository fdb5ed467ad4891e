import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { loadedTransformersEnv } from "./transformers-module.ts";

/**
 * Where one embedder's model comes from, fixed when the embedder is created.
 *
 * @example
 * ```ts
 * const local: ModelLocation = { model: "Xenova/all-MiniLM-L6-v2", modelDir: "/models/minilm", allowRemote: false, quantized: true };
 * ```
 */
export interface ModelLocation {
  /** Hub id, or for a directory the name it was given (`model`, `PHS_MODEL`). */
  readonly model: string;
  /** False when `model` is only the default, which says nothing about what a directory holds. */
  readonly named?: boolean;
  /** Absolute path of a local copy; when set, nothing else is consulted. */
  readonly modelDir?: string | undefined;
  /** Download cache; undefined keeps transformers.js's own `env.cacheDir`. */
  readonly cacheDir?: string | undefined;
  readonly allowRemote: boolean;
  /** `dtype: "q8"` (onnx/model_quantized.onnx) rather than fp32 (onnx/model.onnx). */
  readonly quantized: boolean;
  /** Longest silence of a download before it fails (see `timedFetch`); default 30 s. */
  readonly downloadTimeoutMs?: number;
}

/**
 * The places a load consults, in order, for error messages that say where to put the files.
 *
 * @example
 * ```ts
 * searchedPlaces({ model: "m", modelDir: "/x", allowRemote: false, quantized: true }); // ["local directory /x"]
 * ```
 */
export function searchedPlaces(location: ModelLocation, stalled?: { timeoutMs: number }): string[] {
  const weights = location.quantized ? "onnx/model_quantized.onnx" : "onnx/model.onnx";
  if (location.modelDir !== undefined) return [`local directory ${location.modelDir} (expects ${weights})`];
  const env = loadedTransformersEnv() ?? {
    cacheDir: undefined,
    localModelPath: "/models/",
    remoteHost: "https://huggingface.co/",
  };
  return [
    `cache directory ${location.cacheDir ?? env.cacheDir ?? "(none)"}`,
    `local models path ${join(env.localModelPath, location.model)}`,
    location.allowRemote
      ? `Hugging Face Hub ${env.remoteHost}${location.model} (${weights}${
          stalled ? `; nothing received for ${Math.round(stalled.timeoutMs / 1000)} s, see PHS_DOWNLOAD_TIMEOUT_MS` : ""
        })`
      : "Hugging Face Hub (remote loading disabled)",
  ];
}

/** Length of the weights hash in a directory's model id: enough to tell two models apart. */
const HASH_CHARS = 12;

/**
 * What a local model directory holds, as the id its vectors are stored under: its name (the
 * `model` it was given, else config.json's `_name_or_path`, else the directory's name) and the
 * start of the SHA-256 of its weights file, e.g. `sentence-transformers/all-MiniLM-L6-v2@sha256:1a2b3c4d5e6f`.
 * Replacing the weights changes the id, so `$reembed()` finds the rows of the old model.
 * Undefined while the weights file cannot be read (the load reports that).
 *
 * @example
 * ```ts
 * directoryModelId({ model: "m", modelDir: "/models/minilm", allowRemote: false, quantized: true });
 * ```
 */
export function directoryModelId(location: ModelLocation): string | undefined {
  const dir = location.modelDir;
  if (dir === undefined) return undefined;
  let weights: Buffer;
  try {
    weights = readFileSync(join(dir, location.quantized ? "onnx/model_quantized.onnx" : "onnx/model.onnx"));
  } catch {
    return undefined;
  }
  const hash = createHash("sha256").update(weights).digest("hex").slice(0, HASH_CHARS);
  return `${location.named ? location.model : (configuredName(dir) ?? basename(dir))}@sha256:${hash}`;
}

function configuredName(dir: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { _name_or_path?: unknown };
    const name = config._name_or_path;
    return typeof name === "string" && name.trim() !== "" ? name.trim() : undefined;
  } catch {
    return undefined;
  }
}
