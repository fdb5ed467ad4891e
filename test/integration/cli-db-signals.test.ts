/**
 * Issue #17 item 1: after a hostile client (a frontend message of an unknown type) and with a
 * client left in the middle of a transaction, Ctrl-C and SIGTERM still stop `prisma-hybrid-store
 * db` cleanly. The command starts its own embedded database, so this runs on both targets.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { startDbCli } from "../helpers/cli.ts";
import { query, Wire } from "../helpers/wire.ts";

const dir = mkdtempSync(join(tmpdir(), "phs-cli-db-signals-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("prisma-hybrid-store db stops on a signal whatever its clients did", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} after an unknown message type and with a transaction left open`, async () => {
      const { child, url, exited, stderr } = await startDbCli(["--data-dir", join(dir, signal), "--port", "0"]);
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
      assert.equal(await exited, 0, stderr());
      assert.match(stderr(), /Stopped; everything is saved\./);
      open.close();
    });
  }
});
