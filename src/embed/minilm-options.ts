import { join, resolve } from "node:path";
import { formatIssue, InvalidArgumentError, type ValidationIssue } from "../errors.ts";
import type { ModelLocation } from "./model-location.ts";

/**
 * Options of {@link MiniLmEmbedder}. Every field is optional; environment variables fill the gaps.
 *
 * @example
 * ```ts
 * const options: MiniLmEmbedderOptions = { modelDir: "./models/all-MiniLM-L6-v2", batchSize: 16 };
 * ```
 */
export interface MiniLmEmbedderOptions {
  /**
   * Hub id, stored as `modelId`. Default `PHS_MODEL`, else `"Xenova/all-MiniLM-L6-v2"`. With
   * `modelDir` it names the directory's model, and `modelId` adds a hash of the weights file.
   */
  readonly model?: string;
  /**
   * Local directory with config.json, tokenizer files and onnx/. Loads only from there. Env:
   * `PHS_MODEL_DIR`. `modelId` is then the model's name (`model`, else config.json's
   * `_name_or_path`, else the directory name) plus `@sha256:` and 12 hex digits of the weights file.
   */
  readonly modelDir?: string;
  /** Where downloaded files are cached. Env: `PHS_CACHE_DIR`, `TRANSFORMERS_CACHE`, `HF_HOME`/hub. */
  readonly cacheDir?: string;
  /** May files be downloaded from the hub? Default true without `modelDir`. Env: `PHS_ALLOW_REMOTE_MODELS`. */
  readonly allowRemote?: boolean;
  /** Use the 8-bit model (`onnx/model_quantized.onnx`) instead of `onnx/model.onnx`. Default true. */
  readonly quantized?: boolean;
  /** Texts per model call. Default 32. */
  readonly batchSize?: number;
  /** Word pieces per text, [CLS] and [SEP] included; longer texts are cut. Default 256. */
  readonly maxTokens?: number;
  /** Length of the vectors the model produces. Default 384. */
  readonly dimensions?: number;
  /**
   * How long a download from the hub may go without receiving anything (no answer, or a stalled
   * body) before the load fails with ModelNotFoundError. Default 30 000 ms. Env: `PHS_DOWNLOAD_TIMEOUT_MS`.
   */
  readonly downloadTimeoutMs?: number;
}

/** Options after defaults, environment and validation. */
export interface ResolvedMiniLmOptions {
  readonly location: ModelLocation;
  readonly batchSize: number;
  readonly maxTokens: number;
  readonly dimensions: number;
}

export const DEFAULT_MODEL = "Xenova/all-MiniLM-L6-v2";
const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 3_600_000;
// BERT-shaped models have 512 position embeddings; longer inputs would fail inside the session.
const MAX_POSITIONS = 512;
const KNOWN = new Set([
  "model",
  "modelDir",
  "cacheDir",
  "allowRemote",
  "quantized",
  "batchSize",
  "maxTokens",
  "dimensions",
  "downloadTimeoutMs",
]);

/**
 * Applies defaults and environment fallbacks, and rejects bad options before anything loads.
 *
 * @example
 * ```ts
 * resolveMiniLmOptions({ batchSize: 0 }); // throws InvalidArgumentError
 * ```
 */
export function resolveMiniLmOptions(
  options: MiniLmEmbedderOptions = {},
  environment: NodeJS.ProcessEnv = process.env,
): ResolvedMiniLmOptions {
  const issues: ValidationIssue[] = [];
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("MiniLmEmbedder options must be an object.");
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) issues.push({ path: [key], message: "unknown option" });
  }
  const text = (key: keyof MiniLmEmbedderOptions): string | undefined => {
    const value: unknown = options[key];
    if (value === undefined) return undefined;
    if (typeof value === "string" && value.trim() !== "") return value;
    issues.push({ path: [key], message: "expected a non-empty string" });
    return undefined;
  };
  const flag = (key: keyof MiniLmEmbedderOptions): boolean | undefined => {
    const value: unknown = options[key];
    if (value === undefined || typeof value === "boolean") return value;
    issues.push({ path: [key], message: "expected a boolean" });
    return undefined;
  };
  const int = (key: keyof MiniLmEmbedderOptions, fallback: number, min: number, max: number): number => {
    const value: unknown = options[key];
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    issues.push({ path: [key], message: `expected an integer from ${min} to ${max}, received ${String(value)}` });
    return fallback;
  };

  const model = text("model");
  const modelDir = text("modelDir");
  const cacheDir = text("cacheDir");
  const allowRemote = flag("allowRemote");
  const quantized = flag("quantized") ?? true;
  const batchSize = int("batchSize", 32, 1, 4096);
  // 3 = [CLS], one word piece, [SEP]: anything less cannot represent a text at all.
  const maxTokens = int("maxTokens", 256, 3, MAX_POSITIONS);
  const dimensions = int("dimensions", 384, 1, 65536);
  const envTimeout = parseTimeout(environment.PHS_DOWNLOAD_TIMEOUT_MS, issues);
  const downloadTimeoutMs = int("downloadTimeoutMs", envTimeout ?? DEFAULT_DOWNLOAD_TIMEOUT_MS, 1000, MAX_TIMEOUT_MS);
  if (modelDir !== undefined && allowRemote === true) {
    issues.push({
      path: ["allowRemote"],
      message: "cannot be true with modelDir (a local copy is loaded only from there)",
    });
  }
  const envRemote = parseFlag(environment.PHS_ALLOW_REMOTE_MODELS, issues);
  if (issues.length > 0) {
    throw new InvalidArgumentError(`Invalid MiniLmEmbedder options: ${issues.map(formatIssue).join("; ")}`, issues);
  }

  // An explicit model never picks up PHS_MODEL_DIR: that directory may hold a different model.
  const explicit = model !== undefined || modelDir !== undefined;
  const dir = modelDir ?? (explicit ? undefined : nonEmpty(environment.PHS_MODEL_DIR));
  const named = model ?? nonEmpty(environment.PHS_MODEL);
  const location: ModelLocation = {
    model: named ?? DEFAULT_MODEL,
    named: named !== undefined,
    modelDir: dir === undefined ? undefined : resolve(dir),
    cacheDir: cacheDir ?? defaultCacheDir(environment),
    allowRemote: dir === undefined && (allowRemote ?? envRemote ?? true),
    quantized,
    downloadTimeoutMs,
  };
  return { location, batchSize, maxTokens, dimensions };
}

function defaultCacheDir(environment: NodeJS.ProcessEnv): string | undefined {
  const hfHome = nonEmpty(environment.HF_HOME);
  // Same default as Python's TRANSFORMERS_CACHE; files are kept in transformers.js's own layout.
  return (
    nonEmpty(environment.PHS_CACHE_DIR) ?? nonEmpty(environment.TRANSFORMERS_CACHE) ?? (hfHome && join(hfHome, "hub"))
  );
}

function parseTimeout(value: string | undefined, issues: ValidationIssue[]): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1000 && n <= MAX_TIMEOUT_MS) return n;
  issues.push({
    path: ["PHS_DOWNLOAD_TIMEOUT_MS"],
    message: `expected milliseconds from 1000 to ${MAX_TIMEOUT_MS}, received "${value}"`,
  });
  return undefined;
}

function parseFlag(value: string | undefined, issues: ValidationIssue[]): boolean | undefined {
  const normalized = value?.trim().toLowerCase();
  if (!normalized) return undefined;
  if (["0", "false", "no", "off"].includes(normalized)) return false;
  if (["1", "true", "yes", "on"].includes(normalized)) return true;
  issues.push({ path: ["PHS_ALLOW_REMOTE_MODELS"], message: `expected 0/1/true/false, received "${value}"` });
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
