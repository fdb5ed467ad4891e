import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { env } from "@huggingface/transformers";
import { MiniLmEmbedder } from "../../src/embed/minilm-embedder.ts";
import { ModelNotFoundError } from "../../src/errors.ts";

// A "hub" that accepts connections and never answers: what a network that drops packets looks like.
const sockets = new Set<Socket>();
const silent = createServer((socket) => {
  sockets.add(socket);
  socket.on("error", () => undefined);
});
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
const port = (silent.address() as { port: number }).port;
const cacheDir = await mkdtemp(join(tmpdir(), "phs-timeout-cache-"));
after(async () => {
  for (const socket of sockets) socket.destroy();
  silent.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe("MiniLmEmbedder download timeout", () => {
  it("a hub that never answers: ModelNotFoundError naming the timeout and the offline way", async () => {
    const saved = env.remoteHost;
    env.remoteHost = `http://127.0.0.1:${port}/`;
    try {
      const embedder = new MiniLmEmbedder({ model: "acme/never", cacheDir, downloadTimeoutMs: 1000 });
      await assert.rejects(embedder.ready(), (error: unknown) => {
        assert.ok(error instanceof ModelNotFoundError, String(error));
        assert.equal(error.code, "MODEL_NOT_FOUND");
        assert.ok(
          error.searched.some((place) => place.includes("nothing received for 1 s")),
          error.searched.join(" | "),
        );
        assert.match(error.message, /PHS_MODEL_DIR/);
        return true;
      });
      assert.ok(sockets.size > 0, "the load did try the hub");
    } finally {
      env.remoteHost = saved;
    }
  });

  it("rejects a timeout out of range, from the option or the environment", () => {
    assert.throws(() => new MiniLmEmbedder({ downloadTimeoutMs: 5 }), /downloadTimeoutMs/);
    const saved = process.env.PHS_DOWNLOAD_TIMEOUT_MS;
    process.env.PHS_DOWNLOAD_TIMEOUT_MS = "soon";
    try {
      assert.throws(() => new MiniLmEmbedder(), /PHS_DOWNLOAD_TIMEOUT_MS/);
    } finally {
      if (saved === undefined) delete process.env.PHS_DOWNLOAD_TIMEOUT_MS;
      else process.env.PHS_DOWNLOAD_TIMEOUT_MS = saved;
    }
  });
});
