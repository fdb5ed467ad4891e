import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { InvalidArgumentError } from "../../src/errors.ts";
import { collectFiles } from "../../src/ingest/collect-files.ts";
import { md5, readTextFile, sourceOf } from "../../src/ingest/read-text-file.ts";

const dir = mkdtempSync(join(tmpdir(), "phs-ingest-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string | Buffer) {
  mkdirSync(join(dir, path, ".."), { recursive: true });
  writeFileSync(join(dir, path), text);
}

describe("collectFiles", () => {
  write("corpus/b.md", "b");
  write("corpus/a.txt", "a");
  write("corpus/sub/c.markdown", "c");
  write("corpus/image.png", "not text");
  write("corpus/.hidden.md", "hidden");
  write("corpus/.git/config.md", "vcs");
  write("corpus/node_modules/pkg/readme.md", "dependency");
  write("single.md", "single");

  test("walks directories for text files, sorted, skipping hidden and dependency folders", async () => {
    const files = await collectFiles([join(dir, "corpus")]);
    assert.deepEqual(
      files,
      ["a.txt", "b.md", "sub/c.markdown"].map((f) => join(dir, "corpus", f)),
    );
  });

  test("keeps the order of the paths given and lists a file once", async () => {
    const files = await collectFiles([join(dir, "single.md"), join(dir, "corpus"), join(dir, "corpus/a.txt")]);
    assert.equal(files[0], join(dir, "single.md"));
    assert.equal(files.filter((f) => f.endsWith("a.txt")).length, 1);
  });

  test("names every missing path and non-text file in one error, before reading anything", async () => {
    await assert.rejects(collectFiles([join(dir, "nope"), join(dir, "corpus/image.png")]), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, /nope does not exist/);
      assert.match(e.message, /image\.png is not a text file/);
      assert.equal(e.issues.length, 2);
      return true;
    });
  });
});

describe("readTextFile", () => {
  test("source is relative to the root with / separators, absolute outside it", () => {
    assert.equal(sourceOf("/data/notes/a.md", "/data"), "notes/a.md");
    assert.equal(sourceOf("/elsewhere/a.md", "/data"), "/elsewhere/a.md");
  });

  test("hash is the md5 PostgreSQL computes; BOM dropped; Markdown title from the first heading", async () => {
    write("doc.md", "\uFEFFIntro line\n# The Title\nBody é.");
    const file = await readTextFile(join(dir, "doc.md"), dir);
    assert.equal(file.source, "doc.md");
    assert.equal(file.content, "Intro line\n# The Title\nBody é.");
    assert.equal(file.hash, md5("Intro line\n# The Title\nBody é."));
    assert.equal(md5("é"), "66ddcd97cfdeabb2f6fb8a999b4bc76f"); // of the UTF-8 bytes: printf é | md5sum
    assert.equal(file.title, "The Title");
  });

  test("a text file's title is its name", async () => {
    write("notes/plain.txt", "# not a heading in a .txt file");
    assert.equal((await readTextFile(join(dir, "notes/plain.txt"), dir)).title, "plain");
  });

  test("binary content is refused with the file's name", async () => {
    write("bin.txt", Buffer.from([0x61, 0x00, 0x62]));
    await assert.rejects(readTextFile(join(dir, "bin.txt"), dir), /bin\.txt looks like a binary file/);
  });
});
