import { formatIssue, InvalidArgumentError, type ValidationIssue } from "../errors.ts";
import { type Span, splitSentences } from "./sentences.ts";

/** Options of {@link chunkText}. */
export interface ChunkOptions {
  /** Longest chunk, in characters. Default 800 (about 200 word pieces, under MiniLM's 256). */
  readonly maxChars?: number;
  /** Characters of trailing sentences repeated at the start of the next chunk. Default 100. */
  readonly overlap?: number;
}

/** One chunk: its text and where it sits in the input (`text.slice(start, end)`). */
export interface TextChunk extends Span {
  /** The chunk's text. */
  readonly text: string;
}

/** The {@link ChunkOptions} {@link chunkText} uses when none are given. */
export const DEFAULT_CHUNK_OPTIONS = { maxChars: 800, overlap: 100 } as const;

/**
 * Splits `text` into chunks of at most `maxChars` characters, cutting only between sentences
 * (a line break ends a sentence too). The whole sentences that fit in `overlap` characters at
 * the end of a chunk start the next one, so a passage cut in two is still found in context. A
 * sentence longer than `maxChars` is cut between words (inside a word only if one word is
 * longer), its pieces overlapping by about `overlap` characters. Whitespace-only input gives `[]`.
 *
 * @throws InvalidArgumentError unless `maxChars` is an integer >= 10 and `overlap` an integer
 *   from 0 to `maxChars / 2`.
 * @example
 * ```ts
 * chunkText("First sentence. Second one. Third.", { maxChars: 30, overlap: 12 });
 * // ["First sentence. Second one.", "Second one. Third."]
 * ```
 */
export function chunkText(text: string, options: ChunkOptions = {}): string[] {
  return chunkSpans(text, options).map((chunk) => chunk.text);
}

/**
 * {@link chunkText} with the offsets of every chunk in the input.
 *
 * @example
 * ```ts
 * chunkSpans("First one. Second one.", { maxChars: 12, overlap: 0 });
 * // [{ text: "First one.", start: 0, end: 10 }, { text: "Second one.", start: 11, end: 22 }]
 * ```
 */
export function chunkSpans(text: string, options: ChunkOptions = {}): TextChunk[] {
  const { maxChars, overlap } = resolveChunkOptions(options);
  const units = splitSentences(text).flatMap((s) =>
    s.end - s.start > maxChars ? splitLong(text, s, maxChars, overlap) : [s],
  );
  const chunks: TextChunk[] = [];
  const emit = (group: readonly Span[]) => {
    const start = group[0]!.start;
    const end = group.at(-1)!.end;
    chunks.push({ text: text.slice(start, end), start, end });
  };
  let current: Span[] = [];
  for (const unit of units) {
    if (current.length > 0 && unit.end - current[0]!.start > maxChars) {
      emit(current);
      current = carryOver(current, overlap);
      while (current.length > 0 && unit.end - current[0]!.start > maxChars) current.shift();
    }
    current.push(unit);
  }
  if (current.length > 0) emit(current);
  return chunks;
}

/** Validated options with defaults. */
export function resolveChunkOptions(options: ChunkOptions): { maxChars: number; overlap: number } {
  const maxChars = options.maxChars ?? DEFAULT_CHUNK_OPTIONS.maxChars;
  const overlap = options.overlap ?? Math.min(DEFAULT_CHUNK_OPTIONS.overlap, Math.floor(maxChars / 2));
  const issues: ValidationIssue[] = [];
  if (!Number.isInteger(maxChars) || maxChars < 10) {
    issues.push({ path: ["maxChars"], message: `expected an integer >= 10, received ${String(maxChars)}` });
  } else if (!Number.isInteger(overlap) || overlap < 0 || overlap > maxChars / 2) {
    issues.push({
      path: ["overlap"],
      message: `expected an integer from 0 to ${Math.floor(maxChars / 2)} (half of maxChars), received ${String(overlap)}`,
    });
  }
  if (issues.length > 0)
    throw new InvalidArgumentError(`Invalid chunk options: ${issues.map(formatIssue).join("; ")}`, issues);
  return { maxChars, overlap };
}

/** The trailing sentences of a chunk that fit in `overlap` characters; never the whole chunk. */
function carryOver(group: readonly Span[], overlap: number): Span[] {
  const end = group.at(-1)!.end;
  let k = group.length;
  while (k > 1 && end - group[k - 1]!.start <= overlap) k--;
  return group.slice(k);
}

/** Pieces of one over-long sentence, cut at whitespace, each overlapping the previous one. */
function splitLong(text: string, span: Span, maxChars: number, overlap: number): Span[] {
  const pieces: Span[] = [];
  let start = span.start;
  while (true) {
    if (span.end - start <= maxChars) {
      pieces.push({ start, end: span.end });
      return pieces;
    }
    let cut = lastSpaceBefore(text, start, start + maxChars);
    let end = cut;
    if (cut <= start) {
      // One word longer than maxChars: cut inside it, but never between a surrogate pair.
      cut = start + maxChars;
      if (isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
      end = cut;
    } else {
      while (end > start && /\s/.test(text[end - 1]!)) end--;
    }
    pieces.push({ start, end });
    start = nextStart(text, start, end, cut, overlap);
  }
}

/** Index of the last whitespace character in `(from, to]`, or `from` when there is none. */
function lastSpaceBefore(text: string, from: number, to: number): number {
  for (let i = to; i > from; i--) if (/\s/.test(text[i]!)) return i;
  return from;
}

/** Where the next piece starts: about `overlap` characters back from `end`, at a word start. */
function nextStart(text: string, start: number, end: number, cut: number, overlap: number): number {
  let next = Math.max(end - overlap, start + 1);
  // Move forward to the start of a word, unless the overlap falls in the middle of a giant word.
  if (next < end && !/\s/.test(text[next - 1]!)) {
    let i = next;
    while (i < end && !/\s/.test(text[i]!)) i++;
    next = i < end ? i : next;
  }
  if (overlap === 0 || next >= end) next = cut;
  while (/\s/.test(text[next] ?? "")) next++;
  if (isLowSurrogate(text.charCodeAt(next))) next++;
  return Math.max(next, start + 1);
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
