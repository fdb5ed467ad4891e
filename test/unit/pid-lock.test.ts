import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { takePidLock } from "../../src/db/pid-lock.ts";

const dir = mkdtempSync(join(tmpdir(), "phs-pid-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a lock holds this process's pid; a second take names it; release gives it back", () => {
  const file = join(dir, "a.lock");
  const first = takePidLock(file);
  assert.ok("release" in first);
  assert.equal(readFileSync(file, "utf8"), String(process.pid));
  assert.deepEqual(takePidLock(file), { owner: process.pid });
  first.release();
  const again = takePidLock(file);
  assert.ok("release" in again);
  again.release();
});

test("a lock left by a process that no longer runs, or an empty one, is taken over", () => {
  const file = join(dir, "b.lock");
  const gone = spawnSync(process.execPath, ["-e", "process.pid"]).pid as number;
  for (const content of [String(gone), ""]) {
    writeFileSync(file, content);
    const taken = takePidLock(file);
    assert.ok("release" in taken, `not taken over from ${JSON.stringify(content)}`);
    taken.release();
  }
});

test("processes that take one lock at the same moment: exactly one gets it", async () => {
  const file = join(dir, "c.lock");
  const module = new URL("../../src/db/pid-lock.ts", import.meta.url).href;
  // Each child waits for the same moment, tries once, and keeps what it got until the others tried.
  const startAt = Date.now() + 3000;
  const child = `
    const { takePidLock } = await import(${JSON.stringify(module)});
    while (Date.now() < ${startAt}) {}
    const taken = takePidLock(${JSON.stringify(file)});
    console.log("release" in taken ? "taken" : "held by " + taken.owner);
    setTimeout(() => {}, 2000);`;
  const outputs = await Promise.all(
    Array.from(
      { length: 6 },
      () =>
        new Promise<string>((resolve, reject) => {
          const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", child]);
          let out = "";
          p.stdout.on("data", (d) => {
            out += d;
          });
          p.stderr.on("data", (d) => {
            out += d;
          });
          p.on("error", reject);
          p.on("exit", () => resolve(out.trim()));
        }),
    ),
  );
  assert.equal(outputs.filter((o) => o === "taken").length, 1, outputs.join("\n"));
  assert.ok(
    outputs.every((o) => o === "taken" || o.startsWith("held by ")),
    outputs.join("\n"),
  );
});
