import type * as Transformers from "@huggingface/transformers";
import { EmbeddingError } from "../errors.ts";

export type TransformersModule = typeof Transformers;

let loaded: TransformersModule | undefined;
let loading: Promise<TransformersModule> | undefined;

/**
 * transformers.js, imported on first use: it is an optional peer dependency (with
 * onnxruntime-node about 450 MB installed), needed only by {@link MiniLmEmbedder}. An app
 * that passes its own `Embedder` neither installs nor loads it.
 *
 * @throws EmbeddingError saying how to install it, when it is not installed.
 */
export function loadTransformers(): Promise<TransformersModule> {
  loading ??= import("@huggingface/transformers").then(
    (module) => {
      loaded = module;
      return module;
    },
    (cause: unknown) => {
      loading = undefined;
      throw new EmbeddingError(
        "MiniLmEmbedder (the default embedder) needs @huggingface/transformers, which is not installed: " +
          "`npm install @huggingface/transformers` (it is an optional peer dependency of prisma-hybrid-store), " +
          "or pass your own embedder: hybridStore({ embedder }).",
        { cause },
      );
    },
  );
  return loading;
}

/** transformers.js's settings, when it has been loaded (for messages about where a model was looked for). */
export function loadedTransformersEnv(): TransformersModule["env"] | undefined {
  return loaded?.env;
}
