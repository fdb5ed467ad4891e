import { DimensionMismatchError, EmbeddingError } from "../errors.ts";

/**
 * Mean of each text's token vectors over its real (unpadded) tokens, scaled to unit length,
 * as sentence-transformers' Pooling(mean) + Normalize do for all-MiniLM-L6-v2.
 *
 * @param hidden `last_hidden_state` data, row-major `[lengths.length, seq, dimensions]`.
 * @param lengths Real tokens per row; padding is on the right.
 * @example
 * ```ts
 * meanPoolNormalize(new Float32Array([3, 4, 0, 0]), [1, 2, 2], [1], 2); // ≈ [[0.6, 0.8]]
 * ```
 */
export function meanPoolNormalize(
  hidden: Float32Array,
  dims: readonly number[],
  lengths: readonly number[],
  dimensions: number,
): number[][] {
  const [rows, seq, width] = dims;
  if (
    dims.length !== 3 ||
    rows !== lengths.length ||
    seq === undefined ||
    width === undefined ||
    hidden.length !== rows * seq * width ||
    lengths.some((length) => length > seq)
  ) {
    throw new EmbeddingError(`Unexpected model output shape [${dims.join(", ")}] for ${lengths.length} texts.`);
  }
  if (width !== dimensions) {
    throw new DimensionMismatchError(
      dimensions,
      width,
      `The model produces ${width}-dimensional vectors, but the embedder is configured for ${dimensions}.`,
    );
  }
  return lengths.map((length, row) => {
    // Only the text's own tokens are summed, so padding from longer batch-mates never enters.
    // Dividing by the token count (the "mean") is skipped: normalising cancels it.
    const sum = new Float64Array(width);
    for (let t = 0; t < length; t++) {
      const base = (row * seq + t) * width;
      // In bounds by the shape check above; the casts keep this hot loop free of undefined checks.
      for (let k = 0; k < width; k++) sum[k] = (sum[k] as number) + (hidden[base + k] as number);
    }
    let norm = 0;
    for (const value of sum) norm += value * value;
    // Same floor as torch.nn.functional.normalize: an all-zero output stays zero, not NaN.
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    const vector = Array.from(sum, (value) => value * scale);
    if (!vector.every(Number.isFinite)) throw new EmbeddingError("The model produced NaN or infinite values.");
    return vector;
  });
}
