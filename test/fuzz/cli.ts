/**
 * `npm run fuzz -- --seed N --n 100000`: a long where-fuzzer campaign. With DATABASE_URL set it
 * runs against that (migrated) database; otherwise through `npm test` on a fresh embedded one
 * (or TEST_DATABASE_URL's server).
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { formatMismatch, runCampaign, totalChecked } from "./campaign.ts";

const { values } = parseArgs({ options: { seed: { type: "string" }, n: { type: "string" } } });
const seed = Number(values.seed ?? Date.now() % 1_000_000);
const n = Number(values.n ?? 10_000);
if (!Number.isInteger(seed) || !Number.isInteger(n) || n < 1) {
  console.error("usage: npm run fuzz -- --seed N --n WHERES_PER_MODEL");
  process.exit(2);
}
console.log(`where fuzzer: seed ${seed}, ${n} wheres per model`);
if (process.env.DATABASE_URL) {
  const result = await runCampaign({ seed, n, maxMismatches: 50, log: (line) => console.log(line) });
  console.log(`checked ${totalChecked(result.checked)}, mismatches ${result.mismatches.length}`);
  for (const m of result.mismatches) console.log(formatMismatch(m));
  process.exit(result.mismatches.length === 0 ? 0 : 1);
}
const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/test.ts", "integration/where-fuzz"], {
  stdio: "inherit",
  env: { ...process.env, PHS_FUZZ_SEED: String(seed), PHS_FUZZ_N: String(n) },
});
process.exit(run.status ?? 1);
