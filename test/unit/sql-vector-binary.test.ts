import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { vectorToBinary } from "../../src/sql/vector-binary.ts";

describe("vectorToBinary", () => {
  it("writes pgvector's binary form: int16 dimensions, int16 zero, big-endian float4 values", () => {
    const vector = [1, -0.5, 0.1, -1 / 3, 2.5e-7, 1.5e10, -1e-40, 0];
    const bytes = vectorToBinary(vector);
    assert.equal(bytes.length, 4 + 4 * vector.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.equal(view.getInt16(0), vector.length);
    assert.equal(view.getInt16(2), 0);
    for (const [i, x] of vector.entries())
      assert.ok(Object.is(view.getFloat32(4 + 4 * i), Math.fround(x)), `value ${i}`);
    assert.deepEqual([...vectorToBinary([1])], [0, 1, 0, 0, 0x3f, 0x80, 0, 0]);
  });
});
