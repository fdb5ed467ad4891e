import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMarker } from "../../src/db/hnsw-pending.ts";

const PREFIX = "prisma-hybrid-store: HNSW indexes dropped by a bulk load, pending rebuild: ";
const marker = {
  indexes: [{ name: "Annotation_embedding_hnsw_idx", definition: "CREATE INDEX x ON t USING hnsw (e)" }],
  comment: "the user's own",
  owner: "o1",
  beat: 1.5,
  staleAfterMs: 1000,
};

test("a table comment is a pending-rebuild marker only with the prefix and well-formed JSON", () => {
  assert.deepEqual(parseMarker(PREFIX + JSON.stringify(marker)), marker);
  assert.equal(parseMarker(null), undefined);
  assert.equal(parseMarker("the user's own comment"), undefined);
  assert.equal(parseMarker(JSON.stringify(marker)), undefined, "no prefix: a user's comment that looks like JSON");
  assert.equal(parseMarker(`${PREFIX}{not json`), undefined);
  assert.equal(parseMarker(`${PREFIX}${JSON.stringify({ ...marker, indexes: "x" })}`), undefined);
});
