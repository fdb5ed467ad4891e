import { stat } from "node:fs/promises";
import { extname, isAbsolute, relative, resolve } from "node:path";
import { TEXT_EXTENSIONS } from "./collect-files.ts";
import type { IngestClient } from "./ingest-types.ts";

/** Options of {@link pruneDocuments}. */
export interface PruneOptions {
  /** Only find what would be removed; delete nothing. */
  readonly dryRun?: boolean;
}

// Documents are read, and deleted, this many at a time.
const PAGE = 1000;

/**
 * Deletes the Documents (and, by the cascade, their Annotations) that `ingestFiles` stored from
 * files that no longer exist, inside the directories among `paths`. Resolves to their sources,
 * sorted (with `dryRun`, the sources it would delete).
 *
 * A Document is removed only if all of these hold, so nothing outside the directories given,
 * and nothing an ingest did not write, is ever touched:
 * - `ingestFiles` wrote it: its `metadata.ingest.root` records the directory its `source` is
 *   relative to (a document stored by an earlier version without it is kept; ingesting its
 *   directory again records the root of the files that still exist);
 * - its `source` names a .txt/.md file inside one of the directories in `paths` (files in
 *   `paths`, and directories that do not exist, scope nothing);
 * - that file does not exist any more.
 *
 * All removals happen in one transaction.
 *
 * @example
 * ```ts
 * const removed = await pruneDocuments(prisma, ["docs"]); // ["docs/old-page.md"]
 * ```
 */
export async function pruneDocuments(
  prisma: IngestClient,
  paths: readonly string[],
  options: PruneOptions = {},
): Promise<string[]> {
  const directories: string[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    if ((await stat(absolute).catch(() => undefined))?.isDirectory()) directories.push(absolute);
  }
  if (directories.length === 0) return [];

  const gone: { id: string; source: string }[] = [];
  let after: string | undefined;
  for (;;) {
    // Only text-file sources can be an ingest's; the rest is decided below, path by path.
    const page = await prisma.document.findMany({
      where: {
        OR: [...TEXT_EXTENSIONS].map((extension) => ({
          source: { endsWith: extension, mode: "insensitive" as const },
        })),
        ...(after === undefined ? {} : { id: { gt: after } }),
      },
      select: { id: true, source: true, metadata: true },
      orderBy: { id: "asc" },
      take: PAGE,
    });
    for (const doc of page) {
      const file = doc.source === null ? undefined : filePathOf(doc.source, ingestRoot(doc.metadata));
      if (!file || !TEXT_EXTENSIONS.has(extname(file).toLowerCase())) continue;
      if (!directories.some((dir) => isInside(file, dir))) continue;
      if (await isFile(file)) continue;
      gone.push({ id: doc.id, source: doc.source! });
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
  }
  if (gone.length > 0 && !options.dryRun) {
    const deletes: PromiseLike<unknown>[] = [];
    for (let i = 0; i < gone.length; i += PAGE) {
      const ids = gone.slice(i, i + PAGE).map((doc) => doc.id);
      deletes.push(prisma.document.deleteMany({ where: { id: { in: ids } } }));
    }
    await prisma.$transaction(deletes);
  }
  return gone.map((doc) => doc.source).sort();
}

/** The absolute directory an ingest stored this document's source relative to, if it did. */
function ingestRoot(metadata: unknown): string | undefined {
  const root = (metadata as { ingest?: { root?: unknown } } | null)?.ingest?.root;
  return typeof root === "string" && isAbsolute(root) ? root : undefined;
}

/**
 * The file a stored source names: an absolute source as it is, a relative one against the root
 * it was stored with; undefined without a root or for what is not a file path (a URL).
 */
function filePathOf(source: string, root: string | undefined): string | undefined {
  if (root === undefined) return undefined;
  if (isAbsolute(source)) return source;
  if (/^[a-z][a-z\d+.-]*:/i.test(source)) return undefined;
  const parts = source.split("/");
  if (parts.some((part) => part === ".." || part === "")) return undefined;
  return resolve(root, ...parts);
}

/** True when `path` is `dir` itself or inside it. */
function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
