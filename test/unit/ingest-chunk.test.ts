import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidArgumentError } from "../../src/errors.ts";
import { chunkSpans, chunkText } from "../../src/ingest/chunk-text.ts";
import { splitSentences } from "../../src/ingest/sentences.ts";

/** Every chunk is the input's own text at its offsets, and within the limit. */
function assertWellFormed(text: string, maxChars: number, overlap: number) {
  const chunks = chunkSpans(text, { maxChars, overlap });
  for (const c of chunks) {
    assert.equal(c.text, text.slice(c.start, c.end));
    assert.ok(c.text.length <= maxChars, `chunk of ${c.text.length} > ${maxChars}`);
    assert.equal(c.text, c.text.trim());
  }
  for (let i = 1; i < chunks.length; i++) {
    assert.ok(chunks[i]!.start > chunks[i - 1]!.start, "every chunk starts after the previous one");
    assert.ok(chunks[i - 1]!.end - chunks[i]!.start <= overlap, "overlap stays within its budget");
  }
  return chunks;
}

describe("chunkText", () => {
  test("empty and whitespace-only input give no chunks", () => {
    assert.deepEqual(chunkText(""), []);
    assert.deepEqual(chunkText("  \n\n\t "), []);
  });

  test("short text is one chunk, trimmed", () => {
    assert.deepEqual(chunkText("  One sentence. Another one.  \n"), ["One sentence. Another one."]);
  });

  test("cuts only at sentence boundaries", () => {
    const text = "The cat sat on the mat. It was warm there! Was the dog jealous? Not at all.";
    const chunks = chunkText(text, { maxChars: 45, overlap: 0 });
    assert.deepEqual(chunks, ["The cat sat on the mat. It was warm there!", "Was the dog jealous? Not at all."]);
  });

  test("whole trailing sentences that fit in the overlap start the next chunk", () => {
    const chunks = chunkText("First sentence. Second one. Third.", { maxChars: 30, overlap: 12 });
    assert.deepEqual(chunks, ["First sentence. Second one.", "Second one. Third."]);
  });

  test("a sentence longer than the overlap is not repeated", () => {
    const chunks = chunkText("First sentence. Second one. Third.", { maxChars: 30, overlap: 5 });
    assert.deepEqual(chunks, ["First sentence. Second one.", "Third."]);
  });

  test("line breaks end a unit: Markdown headings and list items", () => {
    const text = "# Title\n\n- apples\n- pears\n\nA paragraph follows here.";
    assert.deepEqual(chunkText(text, { maxChars: 25, overlap: 0 }), [
      "# Title\n\n- apples\n- pears",
      "A paragraph follows here.",
    ]);
  });

  test("abbreviations do not end a sentence", () => {
    const spans = splitSentences("Dr. Smith met Mr. Jones, e.g. at noon. Then he left.");
    const text = "Dr. Smith met Mr. Jones, e.g. at noon. Then he left.";
    assert.deepEqual(
      spans.map((s) => text.slice(s.start, s.end)),
      ["Dr. Smith met Mr. Jones, e.g. at noon.", "Then he left."],
    );
  });

  test("a huge sentence is split between words, pieces overlapping", () => {
    const words = Array.from({ length: 80 }, (_, i) => `w${i}`);
    const text = `${words.join(" ")}.`;
    const chunks = assertWellFormed(text, 50, 10);
    assert.ok(chunks.length > 5);
    for (const c of chunks) assert.match(c.text, /^w\d+( w\d+)*\.?$/, "no word is cut");
    // Consecutive pieces share their boundary words.
    for (let i = 1; i < chunks.length; i++) {
      const lastWord = chunks[i - 1]!.text.split(" ").at(-1)!;
      assert.ok(chunks[i]!.text.includes(lastWord.replace(".", "")), `piece ${i} repeats "${lastWord}"`);
    }
    assert.equal(chunks.map((c) => c.text.split(" ").at(-1)).at(-1), "w79.");
  });

  test("a word longer than maxChars is cut inside, never between a surrogate pair", () => {
    const emoji = "😀".repeat(30); // 60 UTF-16 units
    const chunks = assertWellFormed(`${"x".repeat(25)} ${emoji}`, 11, 3);
    for (const c of chunks) assert.doesNotMatch(c.text, /^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    assert.equal(chunks.at(-1)!.end, 25 + 1 + 60);
  });

  test("sentences and huge sentences mixed stay well formed", () => {
    const text = [
      "Short one.",
      "Another short sentence here.",
      `A very long sentence ${"with many words ".repeat(30)}ends here.`,
      "Then a short one again.",
      "And the last.",
    ].join(" ");
    const chunks = assertWellFormed(text, 120, 40);
    assert.equal(chunks[0]!.text.startsWith("Short one. Another short sentence here."), true);
    assert.equal(chunks.at(-1)!.text.endsWith("And the last."), true);
  });

  test("every character of the input is in some chunk", () => {
    const text = "Alpha beta. Gamma delta epsilon. Zeta eta theta iota. Kappa lambda. Mu nu xi omicron pi rho.";
    const chunks = chunkSpans(text, { maxChars: 30, overlap: 10 });
    const covered = new Array(text.length).fill(false);
    for (const c of chunks) for (let i = c.start; i < c.end; i++) covered[i] = true;
    text.split("").forEach((ch, i) => {
      if (ch.trim()) assert.ok(covered[i], `character ${i} (${ch}) is in no chunk`);
    });
  });

  test("invalid options are rejected with their path", () => {
    assert.throws(
      () => chunkText("x", { maxChars: 5 }),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.deepEqual(e.issues[0]?.path, ["maxChars"]);
        return true;
      },
    );
    assert.throws(() => chunkText("x", { maxChars: 100, overlap: 51 }), /overlap/);
    assert.throws(() => chunkText("x", { maxChars: 100, overlap: -1 }), /overlap/);
    assert.throws(() => chunkText("x", { maxChars: 10.5 }), /maxChars/);
  });

  test("defaults: 800 characters, 100 overlap", () => {
    const text = Array.from({ length: 100 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
    const chunks = assertWellFormed(text, 800, 100);
    assert.deepEqual(chunkSpans(text), chunks);
  });
});
