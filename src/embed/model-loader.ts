import { stat } from "node:fs/promises";
import type { PreTrainedModel, PreTrainedTokenizer } from "@huggingface/transformers";
import type { ModelLocation } from "./model-location.ts";
import { timedFetch } from "./timed-fetch.ts";
import { loadTransformers, type TransformersModule } from "./transformers-module.ts";

/** A tokenizer and an ONNX session, ready for inference. */
export interface LoadedModel {
  readonly tokenizer: PreTrainedTokenizer;
  readonly model: PreTrainedModel;
  /** transformers.js's tensor class, for the model's inputs. */
  readonly Tensor: TransformersModule["Tensor"];
}

// transformers.js reads its location settings from the global `env` while a load is in flight,
// so two embedders loading from different places at once would see each other's settings.
// Every load waits for the previous one; env is set right before and restored right after.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Loads the tokenizer and model of `location`, one load at a time across the process.
 *
 * @example
 * ```ts
 * const { tokenizer, model } = await loadModel({ model: "m", modelDir: "/models/m", allowRemote: false, quantized: true });
 * ```
 */
export function loadModel(location: ModelLocation): Promise<LoadedModel> {
  const run = queue.then(() => loadNow(location));
  queue = run.catch(() => undefined);
  return run;
}

async function loadNow(location: ModelLocation): Promise<LoadedModel> {
  const { AutoModel, AutoTokenizer, env, Tensor } = await loadTransformers();
  if (location.modelDir !== undefined) await assertDirectory(location.modelDir);
  const saved = {
    allowLocalModels: env.allowLocalModels,
    allowRemoteModels: env.allowRemoteModels,
    cacheDir: env.cacheDir,
    fetch: env.fetch,
  };
  env.allowLocalModels = true;
  env.allowRemoteModels = location.allowRemote;
  if (location.cacheDir !== undefined) env.cacheDir = location.cacheDir;
  if (location.allowRemote) env.fetch = timedFetch(location.downloadTimeoutMs ?? 30_000, saved.fetch as typeof fetch);
  try {
    // An absolute path is not a valid hub id, so transformers.js reads it as is and ignores
    // env.localModelPath, which stays the user's own setting.
    const id = location.modelDir ?? location.model;
    // The per-call options repeat the env settings: they win over anything set concurrently.
    const common = { local_files_only: !location.allowRemote, cache_dir: location.cacheDir };
    const [tokenizer, model] = await Promise.all([
      AutoTokenizer.from_pretrained(id, common),
      AutoModel.from_pretrained(id, { ...common, dtype: location.quantized ? "q8" : "fp32" }),
    ]);
    return { tokenizer, model, Tensor };
  } finally {
    Object.assign(env, saved);
  }
}

async function assertDirectory(dir: string): Promise<void> {
  const info = await stat(dir);
  if (!info.isDirectory()) throw new Error(`${dir} is not a directory`);
}
