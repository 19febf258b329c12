// Node entry (ESM, Node >= 18): the WebAssembly module is read from the package's folder.

import { readFile } from "node:fs/promises";
import { webcrypto } from "node:crypto";
import { initSync } from "./mspkit_wasm.js";
import { useRandomSource } from "./runtime.js";

initSync({ module: await readFile(new URL("./mspkit_wasm_bg.wasm", import.meta.url)) });
useRandomSource(globalThis.crypto ?? webcrypto);

export * from "./mspkit.js";
