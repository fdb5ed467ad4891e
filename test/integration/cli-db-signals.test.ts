/**
 * Issue #17 item 1: after a hostile client (a frontend message of an unknown type) and with a
 * client left in the middle of a transaction, Ctrl-C and SIGTERM still stop `prisma-hybrid-store
 * db` cleanly. The command starts its own embedded database, so this runs on both targets.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { repoRoot } from "../helpers/cli.ts";
import { query, Wire } from "../helpers/wire.ts";

const dir = mkdtempSync(join(tmpdir(), "phs-cli-db-signals-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("prisma-hybrid-store db stops on a signal whatever its clients did", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} after an unknown message type and with a transaction left open`, async () => {
      const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
      const dataDir = join(dir, signal);
      const child = spawn(process.execPath, ["--import", "tsx", main, "db", "--data-dir", dataDir, "--port", "0"], {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          const match = /^DATABASE_URL=(\S+)$/m.exec(stdout);
          if (match) resolve(match[1]!);
        });
        void exited.then(() => reject(new Error(`db exited early: ${stderr}`)));
      });
      const open = await Wire.open(url);
      const hostile = await Wire.open(url);
      try {
        open.send(query("BEGIN; SELECT 1"));
        await open.until("Z");
        hostile.send(Buffer.from("59000000096a756e6b00", "hex"));
        await hostile.untilClosed();
      } finally {
        child.kill(signal);
      }
      assert.equal(await exited, 0, stderr);
      assert.match(stderr, /Stopped; everything is saved\./);
      open.close();
    });
  }
});
