import type { PreTrainedTokenizer } from "@huggingface/transformers";

/**
 * Word-piece ids of one text, cut the way sentence-transformers cuts: the text's own pieces are
 * truncated so that, with [CLS] and [SEP] around them, there are at most `maxTokens` ids.
 * (transformers.js's own truncation drops [SEP] instead, which changes the vector.)
 *
 * @example
 * ```ts
 * const encode = truncatingEncoder(tokenizer, 256);
 * encode("This is an example sentence"); // [101, 2023, 2003, 2019, 2742, 6251, 102]
 * ```
 */
export function truncatingEncoder(tokenizer: PreTrainedTokenizer, maxTokens: number): (text: string) => number[] {
  const { prefix, suffix } = specialTokens(tokenizer);
  const budget = maxTokens - prefix.length - suffix.length;
  if (budget < 1) throw new RangeError(`maxTokens ${maxTokens} leaves no room for text`);
  const pieces = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
  return (text) => {
    const head = headOf(text, budget);
    let ids = pieces(head);
    // A head with too few pieces (very long words) says nothing about the full text: redo it whole.
    if (head.length < text.length && ids.length < budget) ids = pieces(text);
    return [...prefix, ...ids.slice(0, budget), ...suffix];
  };
}

// Every word piece comes from at least one character, and English averages about four, so a
// head of 8 characters per piece nearly always holds enough pieces and saves tokenizing long texts.
const CHARS_PER_PIECE = 8;
const CUT_POINT = /[ \t\n\r]/g;

/**
 * The text up to the first plain whitespace after `budget * 8` characters, or all of it.
 * BERT tokenizers never join words across such whitespace, so the head's pieces are a prefix
 * of the whole text's pieces.
 */
function headOf(text: string, budget: number): string {
  const min = budget * CHARS_PER_PIECE;
  if (text.length <= min) return text;
  CUT_POINT.lastIndex = min;
  const cut = CUT_POINT.exec(text);
  return cut === null ? text : text.slice(0, cut.index);
}

/** The ids a tokenizer puts before and after a single text ([CLS] and [SEP] for BERT). */
function specialTokens(tokenizer: PreTrainedTokenizer): { prefix: number[]; suffix: number[] } {
  const plain = tokenizer.encode("a", { add_special_tokens: false });
  const full = tokenizer.encode("a", { add_special_tokens: true });
  const at = full.findIndex((_, i) => plain.every((id, j) => full[i + j] === id));
  if (at < 0) throw new Error("cannot locate the text between the tokenizer's special tokens");
  return { prefix: full.slice(0, at), suffix: full.slice(at + plain.length) };
}
