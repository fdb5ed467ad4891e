import { readdir, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { InvalidArgumentError, type ValidationIssue } from "../errors.ts";

/** File types `ingestFiles` reads, as text. */
export const TEXT_EXTENSIONS: ReadonlySet<string> = new Set([".txt", ".text", ".md", ".markdown"]);

// Directories that are never a corpus: version control, dependencies, our own data directory.
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", ".prisma-hybrid-store"]);

/**
 * The text files named by `paths` (files, or directories searched recursively for .txt and .md
 * files), as absolute paths, each once, in a stable order: the paths in the order given, and
 * the files of a directory sorted by path. Hidden files and directories are skipped.
 *
 * @throws InvalidArgumentError naming every path that does not exist or is not a text file,
 *   before anything is read.
 * @example
 * ```ts
 * await collectFiles(["notes", "todo.md"]); // ["/home/me/notes/a.md", "/home/me/notes/b/c.txt", "/home/me/todo.md"]
 * ```
 */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const issues: ValidationIssue[] = [];
  const found: string[] = [];
  for (const [i, path] of paths.entries()) {
    const absolute = resolve(path);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) issues.push({ path: [i], message: `${path} does not exist` });
    else if (info.isDirectory()) found.push(...(await walk(absolute)));
    else if (!TEXT_EXTENSIONS.has(extname(absolute).toLowerCase())) {
      issues.push({ path: [i], message: `${path} is not a text file (expected ${[...TEXT_EXTENSIONS].join(", ")})` });
    } else found.push(absolute);
  }
  if (issues.length > 0) {
    throw new InvalidArgumentError(`Cannot ingest: ${issues.map((issue) => issue.message).join("; ")}.`, issues);
  }
  return [...new Set(found)];
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith(".") || SKIPPED_DIRECTORIES.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile() && TEXT_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path);
  }
  return files;
}
