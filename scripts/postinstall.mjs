// Generates the project's own Prisma client after `npm ci` in this repository. Installed as a
// dependency, the package needs no client of its own (it extends the user's), so skip there.
import { spawnSync } from "node:child_process";
import { sep } from "node:path";

if (process.cwd().split(sep).includes("node_modules")) process.exit(0);
const result = spawnSync("npx", ["prisma", "generate"], { stdio: "inherit" });
process.exit(result.status ?? 1);
