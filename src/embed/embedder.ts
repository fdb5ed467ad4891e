import type { ModelMeta } from "../schema/model-meta.ts";

/**
 * Anything that turns texts into vectors. Plug your own model in by implementing this.
 *
 * @example
 * ```ts
 * const embedder: Embedder = {
 *   modelId: "my-model", dimensions: 384,
 *   embed: async (texts) => texts.map(() => new Array(384).fill(0)),
 * };
 * ```
 */
export interface Embedder {
  /** Stored with every vector, so `reembed` can find rows made by another model. */
  readonly modelId: string;
  /** Length of every vector `embed` returns; must match the `vector(N)` column. */
  readonly dimensions: number;
  /** One vector per text, in order. Implementations batch internally. */
  embed(texts: readonly string[]): Promise<number[][]>;
}

/** The embedder of a model's marking, from a store's embedders by key (checked when the store was built). */
export function embedderOf(
  ctx: { readonly embedder: Embedder; readonly embedders?: ReadonlyMap<string, Embedder> },
  model: Pick<ModelMeta, "embedder">,
): Embedder {
  return ctx.embedders?.get(model.embedder) ?? ctx.embedder;
}
