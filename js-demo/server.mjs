#!/usr/bin/env node
// The mspkit demo server: serves the page (js-demo/) and the built npm package
// (bindings-wasm/pkg/ at /pkg/), answers GET /config, and relays the page's API requests
// (POST /relay) when mspkit's relay check accepts them. `--help` lists the options.

import { createDemoServer } from "./server/app.mjs";
import { parseServerArgs, USAGE, UsageError } from "./server/args.mjs";
import { parseSimulatorLine, simulatorOrigin, startSimulator } from "./lib/simulator.mjs";

const log = (line) => process.stderr.write(`${line}\n`);

async function loadPackage() {
  let mspkit;
  try {
    mspkit = await import("../bindings-wasm/pkg/node.js");
  } catch (error) {
    throw new Error(`cannot load the mspkit package from bindings-wasm/pkg (${error.message}): run \`make wasm\``);
  }
  if (typeof mspkit.checkRelayRequest !== "function" || typeof mspkit.relayAddressAllowed !== "function") {
    throw new Error("the mspkit package in bindings-wasm/pkg has no relay check: rebuild it with `make wasm`");
  }
  return mspkit;
}

async function main() {
  let options;
  try {
    options = parseServerArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    log(`server.mjs: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const mspkit = await loadPackage();
  const simulator = options.simulator ? await startSimulator(options.simulator, options.simArgs) : null;
  const simulatorLine = simulator?.line ?? (options.simLine ? parseSimulatorLine(options.simLine) : null);
  const server = createDemoServer({ mspkit, simulatorLine, allowHosts: options.allowHosts, host: options.host, log });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    await simulator?.stop();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  if (!options.ignoreStdin) {
    process.stdin.once("end", stop);
    process.stdin.once("error", stop);
    process.stdin.resume();
  }

  await new Promise((resolve, reject) => {
    server.once("error", (error) => {
      if (error.code !== "EADDRINUSE") return reject(error);
      reject(new Error(`port ${options.port} is in use: pass another --port (make web-demo WEB_DEMO_PORT=N), or 0 for any free one`));
    });
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address();
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}/`;
  const sim = simulatorLine
    ? { origin: simulatorOrigin(simulatorLine), stats_url: simulatorLine.stats_url, reset_url: simulatorLine.reset_url }
    : null;
  // Nothing secret here: the simulator's credentials are served to the page by /config only.
  process.stdout.write(`${JSON.stringify({ url, relay: `${url}relay`, simulator: sim })}\n`);
  log(
    `mspkit demo: open ${url}` +
      (sim ? ' and press "Fill simulator tenant" (simulator mode)' : "") +
      (options.ignoreStdin ? "; Ctrl-C stops it" : "; stops at end of stdin or on Ctrl-C"),
  );
  if (!["127.0.0.1", "::1", "localhost"].includes(options.host)) {
    log(`warning: listening on ${options.host}: other machines can reach the page and the relay`);
  }
}

main().catch((error) => {
  log(`server.mjs: ${error.message}`);
  process.exit(1);
});
