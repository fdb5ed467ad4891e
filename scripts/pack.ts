import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * `npm pack` of the repository at `root` into a new temporary folder; returns the tarball's
 * path. Builds first (the `prepack` script) unless dist is newer than every file in src, so CI
 * steps that pack one after the other build once.
 */
export function packLibrary(root: string): string {
  const out = mkdtempSync(join(tmpdir(), "phs-pack-"));
  const args = ["pack", "--silent", "--pack-destination", out];
  if (!distIsFresh(root)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  const stdout = execFileSync("npm", [...args, "--ignore-scripts"], { cwd: root, encoding: "utf8" });
  return join(out, stdout.trim().split("\n").at(-1)!);
}

function distIsFresh(root: string): boolean {
  const built = join(root, "dist", "cjs", "package.json");
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  return readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).every(
    (file) => statSync(join(root, "src", file)).mtimeMs <= builtAt,
  );
}
