// The package under test, as Node loads it (bindings-wasm/build.sh builds it).
export * from "../../../bindings-wasm/pkg/node.js";
