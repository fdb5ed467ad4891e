/**
 * CI step: the package as npm would publish it. Builds and packs it, then checks the tarball
 * offline with @arethetypeswrong/cli (types resolve for `import` and `require` under node10,
 * node16 and bundler resolution, for `.`, `./llamaindex` and `./tooling`) and publint (exports, files).
 *
 *   node --import tsx scripts/check-package.ts
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packLibrary } from "./pack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const tarball = packLibrary(root);
const bin = (name: string) => join(root, "node_modules", ".bin", name);
try {
  execFileSync(bin("attw"), [tarball], { cwd: root, stdio: "inherit" });
  execFileSync(bin("publint"), ["run", tarball, "--strict"], { cwd: root, stdio: "inherit" });
} finally {
  rmSync(dirname(tarball), { recursive: true, force: true });
}
