// Browser entry (ES module, no bundler): the WebAssembly module is fetched from beside
// this file.

import init from "./mspkit_wasm.js";

await init({ module_or_path: new URL("./mspkit_wasm_bg.wasm", import.meta.url) });

export * from "./mspkit.js";
