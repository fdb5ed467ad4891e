import { InvalidArgumentError } from "../errors.ts";

/**
 * Rejects text PostgreSQL would refuse or silently change: NUL characters (not allowed in a
 * `text` value) and lone UTF-16 surrogates (the UTF-8 encoder would swap them for U+FFFD, so
 * the stored text would differ from the one embedded).
 */
export function validateText(text: string, where: string): void {
  if (text.includes("\u0000")) {
    throw new InvalidArgumentError(`${where} contains a NUL character, which PostgreSQL text cannot store.`, [
      { path: where.split("."), message: "contains a NUL character" },
    ]);
  }
  if (!isWellFormed(text)) {
    throw new InvalidArgumentError(`${where} is not well-formed UTF-16 (it has a lone surrogate).`, [
      { path: where.split("."), message: "has a lone surrogate" },
    ]);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
