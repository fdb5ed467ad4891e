import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMismatch, runCampaign, totalChecked } from "../fuzz/campaign.ts";

const seed = Number(process.env.PHS_FUZZ_SEED ?? 20261202);
const n = Number(process.env.PHS_FUZZ_N ?? 1000);

test(`where fuzzer: ${n} random wheres per model (seed ${seed}) give findMany's rows`, async () => {
  const result = await runCampaign({ seed, n, maxMismatches: 20, log: (line) => console.log(line) });
  assert.equal(totalChecked(result.checked) >= Math.min(2 * n, 2000), true);
  assert.equal(result.mismatches.length, 0, result.mismatches.map(formatMismatch).join("\n\n"));
});
