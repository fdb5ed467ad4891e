import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// This file is src/cli/package-paths.ts in a checkout and dist/cli/package-paths.js when
// installed: the package root is two levels up either way.
const root = fileURLToPath(new URL("../../", import.meta.url));

/** Absolute paths of what the CLI uses from its own package. */
export const packagePaths = {
  root,
  schema: `${root}prisma/schema.prisma`,
  migrations: `${root}prisma/migrations`,
  sample: `${root}sample`,
  tinyModel: `${root}models/tiny-minilm`,
} as const;

/** The package's version, for `--version`. */
export async function packageVersion(): Promise<string> {
  const path = `${root}package.json`;
  if (!existsSync(path)) return "unknown";
  const { readFile } = await import("node:fs/promises");
  return (JSON.parse(await readFile(path, "utf8")) as { version?: string }).version ?? "unknown";
}
