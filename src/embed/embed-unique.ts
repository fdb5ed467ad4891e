import type { StoreContext } from "../context.ts";
import { EmbeddingError, HybridStoreError } from "../errors.ts";
import { validateVector } from "./vector.ts";

/** Embeds each distinct text once, reusing the process cache; one `embed` call for all misses. */
export async function embedUnique(ctx: StoreContext, texts: readonly string[]): Promise<number[][]> {
  const found = new Map<string, number[]>();
  for (const t of texts) {
    const hit = ctx.cache.get(t);
    if (hit) found.set(t, hit);
  }
  const misses = [...new Set(texts.filter((t) => !found.has(t)))];
  if (misses.length > 0) {
    let vectors: number[][];
    try {
      vectors = await ctx.embedder.embed(misses);
    } catch (cause) {
      if (cause instanceof HybridStoreError) throw cause;
      throw new EmbeddingError(
        `Embedding ${misses.length} text(s) with ${ctx.embedder.modelId} failed: ${String(cause)}`,
        { cause },
      );
    }
    if (vectors.length !== misses.length) {
      throw new EmbeddingError(
        `${ctx.embedder.modelId} returned ${vectors.length} vectors for ${misses.length} texts.`,
      );
    }
    misses.forEach((t, i) => {
      const v = validateVector(vectors[i], ctx.embedder.dimensions, "embedder output");
      found.set(t, v);
      ctx.cache.set(t, v);
    });
  }
  return texts.map((t) => found.get(t)!);
}
