import type { StoreContext } from "../context.ts";
import { embedUnique } from "../embed/embed-unique.ts";
import { validateText } from "../embed/text.ts";
import { validateVector } from "../embed/vector.ts";
import { InvalidArgumentError } from "../errors.ts";
import { DEFAULT_EMBEDDER } from "../schema/markings.ts";

/** Checks a search text: not empty or blank, and text PostgreSQL can take. */
export function validateQueryText(query: string, where = "query"): string {
  if (query.trim().length === 0) {
    throw new InvalidArgumentError(`${where} must not be empty or blank.`, [
      { path: [where], message: "must not be empty" },
    ]);
  }
  validateText(query, where);
  return query;
}

/**
 * Most words a full-text query may have. `ts_rank_cd`'s work grows with the square of the query's
 * terms (4,000 words take seconds per hundred rows), and past about 15,000 PostgreSQL's stack
 * overflows; 1,024 is Elasticsearch's old clause limit, far above any typed query.
 */
export const MAX_TEXT_QUERY_WORDS = 1024;

/** Checks a full-text (or hybrid) search text: {@link validateQueryText}, and at most 1,024 words. */
export function validateTextQuery(query: string, where = "query"): string {
  validateQueryText(query, where);
  let words = 0;
  // Letters and digits between separators: what PostgreSQL's parser can make a term of.
  for (const _ of query.matchAll(/[\p{L}\p{N}]+/gu)) {
    if (++words > MAX_TEXT_QUERY_WORDS) {
      throw new InvalidArgumentError(
        `${where} has more than ${MAX_TEXT_QUERY_WORDS} words, the most a full-text search takes; shorten it ` +
          "(a vector search, similaritySearch, reads only the beginning of a long text).",
        [{ path: [where], message: `more than ${MAX_TEXT_QUERY_WORDS} words` }],
      );
    }
  }
  return query;
}

/** Checks a caller's query vector: the embedder's length, finite, and not all zeros. */
export function validateQueryVector(ctx: Pick<StoreContext, "embedder">, vector: unknown, where = "query"): number[] {
  const v = validateVector(vector, ctx.embedder.dimensions, where);
  if (v.every((x) => x === 0)) {
    // Cosine distance to a zero vector is NaN: every row would tie.
    throw new InvalidArgumentError(`${where} is all zeros; cosine similarity needs a non-zero vector.`, [
      { path: [where], message: "must not be all zeros" },
    ]);
  }
  return v;
}

/**
 * The vector to search with: a string is embedded (through the process cache) by the embedder of
 * key `embedderKey` (the searched field's), an array checked against its dimensions.
 */
export async function resolveQueryVector(
  ctx: StoreContext,
  query: unknown,
  where = "query",
  embedderKey = DEFAULT_EMBEDDER,
): Promise<number[]> {
  if (typeof query === "string") {
    const [vector] = await embedUnique(ctx, [validateQueryText(query, where)], embedderKey);
    return vector!;
  }
  return validateQueryVector({ embedder: ctx.embedders.get(embedderKey) ?? ctx.embedder }, query, where);
}
