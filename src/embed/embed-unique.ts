import type { StoreContext } from "../context.ts";
import { EmbeddingError, HybridStoreError } from "../errors.ts";
import { DEFAULT_EMBEDDER } from "../schema/markings.ts";
import { validateVector } from "./vector.ts";

/**
 * Embeds each distinct text once with the embedder of key `embedderKey`, reusing the process
 * cache; one `embed` call for all misses. The cache keys another embedder's texts by its key too,
 * so two embedders never share a vector.
 */
export async function embedUnique(
  ctx: Pick<StoreContext, "embedder" | "embedders" | "cache">,
  texts: readonly string[],
  embedderKey: string = DEFAULT_EMBEDDER,
): Promise<number[][]> {
  const embedder = (embedderKey === DEFAULT_EMBEDDER ? undefined : ctx.embedders?.get(embedderKey)) ?? ctx.embedder;
  const cacheKey = (t: string) => (embedder === ctx.embedder ? t : `${embedderKey}\u0000${t}`);
  const found = new Map<string, number[]>();
  for (const t of texts) {
    const hit = ctx.cache.get(cacheKey(t));
    if (hit) found.set(t, hit);
  }
  const misses = [...new Set(texts.filter((t) => !found.has(t)))];
  if (misses.length > 0) {
    let vectors: number[][];
    try {
      vectors = await embedder.embed(misses);
    } catch (cause) {
      if (cause instanceof HybridStoreError) throw cause;
      throw new EmbeddingError(`Embedding ${misses.length} text(s) with ${embedder.modelId} failed: ${String(cause)}`, {
        cause,
      });
    }
    if (vectors.length !== misses.length) {
      throw new EmbeddingError(`${embedder.modelId} returned ${vectors.length} vectors for ${misses.length} texts.`);
    }
    misses.forEach((t, i) => {
      const v = validateVector(vectors[i], embedder.dimensions, "embedder output");
      found.set(t, v);
      ctx.cache.set(cacheKey(t), v);
    });
  }
  return texts.map((t) => found.get(t)!);
}
