/**
 * Where the compatibility projects live: their sources in test/compat/.projects/<kind> (a dot
 * directory, so the root tsconfig's `include: ["test"]` skips these separate projects), and their
 * installed copies in a directory OUTSIDE this repository.
 *
 * Outside, because TypeScript resolves a package by searching every ancestor `node_modules`: a
 * Prisma 7 project inside the repo finds the root's @prisma/client 6.19 for any subpath Prisma 7
 * lacks (`@prisma/client/runtime/library`), and hides exactly the bugs this suite is for.
 */
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The projects, one per kind of client a user can have: Prisma 7 with the `prisma-client`
 * generator, Prisma 7 with the legacy `prisma-client-js`, Prisma 6.19 with `prisma-client-js`.
 * (Prisma 6.19 with `prisma-client` is the repo itself.)
 */
export const COMPAT_KINDS = ["prisma7", "prisma7-client-js", "prisma-client-js"] as const;
export type CompatKind = (typeof COMPAT_KINDS)[number];

export const repoRoot = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** The project's sources, committed. */
export const projectSource = (kind: CompatKind): string => join(repoRoot, "test", "compat", ".projects", kind);

/**
 * Where the projects are installed: `$PHS_COMPAT_DIR`, by default a directory in the system's
 * temp directory named after this checkout, so two checkouts on one machine do not share one.
 */
export function compatRoot(): string {
  const name = `prisma-hybrid-store-compat-${createHash("sha256").update(repoRoot).digest("hex").slice(0, 8)}`;
  return resolve(process.env.PHS_COMPAT_DIR ?? join(tmpdir(), name));
}

/** The installed project of one kind. */
export const projectDir = (kind: CompatKind): string => join(compatRoot(), kind);
