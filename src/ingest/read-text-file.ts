import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, extname, isAbsolute, relative, sep } from "node:path";
import { InvalidArgumentError } from "../errors.ts";

/** A text file as it will be stored. */
export interface TextFile {
  readonly path: string;
  /** What `Document.source` holds: the path relative to the root, or absolute outside it. */
  readonly source: string;
  readonly content: string;
  /** md5 of the UTF-8 content, as the database's trigger computes `contentHash`. */
  readonly hash: string;
  readonly title: string;
}

/**
 * Reads a UTF-8 text file (a byte-order mark is dropped).
 *
 * @throws InvalidArgumentError if it holds a NUL byte (a binary file) or cannot be read.
 */
export async function readTextFile(path: string, root: string): Promise<TextFile> {
  let content: string;
  try {
    content = (await readFile(path, "utf8")).replace(/^\uFEFF/, "");
  } catch (cause) {
    throw new InvalidArgumentError(`Cannot read ${path}: ${(cause as Error).message}`, [], { cause });
  }
  const source = sourceOf(path, root);
  if (content.includes("\u0000")) {
    throw new InvalidArgumentError(
      `${source} looks like a binary file (it has NUL bytes); only text files can be ingested.`,
    );
  }
  return { path, source, content, hash: md5(content), title: titleOf(path, content) };
}

export function md5(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

/** Relative to `root` with `/` separators when inside it, so sources match across machines. */
export function sourceOf(path: string, root: string): string {
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return path;
  return rel.split(sep).join("/");
}

/** The first Markdown `# heading` of a .md file, else the file name without its extension. */
function titleOf(path: string, content: string): string {
  if (/\.(md|markdown)$/i.test(path)) {
    const heading = /^#\s+(.+?)\s*#*\s*$/m.exec(content.slice(0, 4000));
    if (heading?.[1]) return heading[1];
  }
  return basename(path, extname(path));
}
