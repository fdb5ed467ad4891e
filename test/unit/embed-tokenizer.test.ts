import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { PreTrainedTokenizer } from "@huggingface/transformers";
import { loadModel } from "../../src/embed/model-loader.ts";
import { truncatingEncoder } from "../../src/embed/truncating-tokenizer.ts";

const modelDir = fileURLToPath(new URL("../../models/tiny-minilm", import.meta.url));

describe("truncatingEncoder with the real all-MiniLM-L6-v2 tokenizer", () => {
  let tokenizer: PreTrainedTokenizer;
  let encode: (text: string) => number[];
  before(async () => {
    ({ tokenizer } = await loadModel({ model: "tiny-minilm", modelDir, allowRemote: false, quantized: true }));
    encode = truncatingEncoder(tokenizer, 256);
  });
  // What sentence-transformers does: all pieces, cut to 254, wrapped in [CLS] ... [SEP].
  const reference = (text: string) => [
    101,
    ...tokenizer.encode(text, { add_special_tokens: false }).slice(0, 254),
    102,
  ];

  it("wraps short texts in [CLS] and [SEP]", () => {
    assert.deepEqual(encode("This is an example sentence"), [101, 2023, 2003, 2019, 2742, 6251, 102]);
    assert.deepEqual(encode(""), [101, 102]);
  });

  it("matches tokenizing the whole text, whatever the text looks like", () => {
    const samples = [
      "Plain English prose, with punctuation; and numbers 12345. ".repeat(400),
      "tabs\tand\nnewlines\r\nmixed   with  spaces ".repeat(500),
      "Ünïcödé àccents café naïve résumé ".repeat(600),
      "中文文本没有空格".repeat(800),
      "supercalifragilisticexpialidocious antidisestablishmentarianism ".repeat(300),
      `${"x".repeat(5000)} tail words here`,
      "hyphen-ated,comma,separated,words,without,spaces ".repeat(400),
    ];
    for (const text of samples) {
      const ids = encode(text);
      assert.ok(ids.length <= 256);
      assert.deepEqual(ids, reference(text), text.slice(0, 40));
    }
  });

  it("honours a smaller maxTokens", () => {
    assert.deepEqual(truncatingEncoder(tokenizer, 4)("the cat sat on the mat"), [101, 1996, 4937, 102]);
  });
});
