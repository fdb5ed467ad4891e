/** A half-open range `[start, end)` of character offsets into a text. */
export interface Span {
  /** Offset of the first character. */
  readonly start: number;
  /** Offset after the last character. */
  readonly end: number;
}

const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });

// ICU ends a sentence at every "Dr." or "e.g." (Node's ICU has no abbreviation suppressions), so
// a segment ending in one of these is glued to the next one when both are on the same line.
const ABBREVIATION = /(?:^|[\s(])(?:mr|mrs|ms|dr|prof|sr|jr|st|vs|cf|fig|no|approx|e\.g|i\.e)\.$/i;

/**
 * Sentence spans of `text`, trimmed of surrounding whitespace, in order. Line breaks end a
 * sentence too, so Markdown headings and list items are units of their own.
 *
 * @example
 * ```ts
 * splitSentences("One. Two!"); // [{ start: 0, end: 4 }, { start: 5, end: 9 }]
 * ```
 */
export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  for (const { segment, index } of segmenter.segment(text)) {
    const lead = segment.length - segment.trimStart().length;
    const trail = segment.length - segment.trimEnd().length;
    const start = index + lead;
    const end = index + segment.length - trail;
    if (end <= start) continue;
    const previous = spans.at(-1);
    if (previous && gluesToNext(text, previous, start)) spans[spans.length - 1] = { start: previous.start, end };
    else spans.push({ start, end });
  }
  return spans;
}

function gluesToNext(text: string, previous: Span, nextStart: number): boolean {
  const tail = text.slice(Math.max(previous.start, previous.end - 12), previous.end);
  return ABBREVIATION.test(tail) && !text.slice(previous.end, nextStart).includes("\n");
}
