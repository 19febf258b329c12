// The README's Node quick start runs as written (bindings-wasm/examples/quickstart.mjs,
// against the simulator), and the README shows exactly that code.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = new URL("../../", import.meta.url);
const EXAMPLE = new URL("bindings-wasm/examples/quickstart.mjs", ROOT);
const START = "  // --- README: Node quick start ---\n";
const END = "  // --- end of the quick start ---";

test("the Node quick start runs as written against the simulator", async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MSPKIT_VSAX")));
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(EXAMPLE)], { env, timeout: 60_000 });
  const lines = stdout.trim().split("\n");
  assert.match(lines[0], /^Connected to Kaseya VSA X: \d+ organizations$/, stdout);
  assert.match(lines[1], /^page 1: 20 devices, e\.g\. \S+, \S+$/, stdout);
  assert.match(lines.at(-1), /^resume with cursor=\{"v":1,/, stdout);
});

test("README.md shows the Node quick start as it is in the example", async () => {
  const source = await readFile(EXAMPLE, "utf8");
  const region = source.slice(source.indexOf(START) + START.length, source.indexOf(END));
  const body = region
    .split("\n")
    .map((line) => line.slice(2))
    .join("\n")
    .trim();
  const readme = await readFile(new URL("README.md", ROOT), "utf8");
  assert.ok(readme.includes(body), "README.md's Node quick start differs from bindings-wasm/examples/quickstart.mjs");
});
