import assert from "node:assert/strict";

/** Every value once, and `expected` of them. */
export function assertExactlyOnce(values, expected) {
  assert.equal(values.length - new Set(values).size, 0, "duplicates");
  assert.equal(values.length, expected, "item count");
}
