import type { LikeMatch } from "./filter-nodes.ts";

/** `%`, `_` and `\` in the caller's text match themselves (backslash is LIKE's default escape). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, "\\$&");
}

/** The LIKE pattern for `contains`/`startsWith`/`endsWith` of a literal text. */
export function likePattern(match: LikeMatch, value: string): string {
  const escaped = escapeLike(value);
  if (match === "startsWith") return `${escaped}%`;
  if (match === "endsWith") return `%${escaped}`;
  return `%${escaped}%`;
}
