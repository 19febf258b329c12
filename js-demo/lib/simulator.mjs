// The tenant simulator (mspkit-sim) for the demo server and the scripts: starting it,
// and turning its startup line into what the demo's forms and clients need.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The simulator binary: `$MSPKIT_SIM`, else the debug build in target/. */
export function defaultSimulatorPath() {
  return process.env.MSPKIT_SIM || `${ROOT}target/debug/mspkit-sim`;
}

/**
 * Starts the simulator at `binary` with `args` and resolves once it printed its line.
 * Its stdin is a pipe from this process, so it stops when this process ends, however it
 * ends (the simulator exits at end of stdin).
 */
export async function startSimulator(binary, args = []) {
  if (!existsSync(binary)) {
    throw new Error(`no simulator at ${binary}: build it with \`make sim-build\` (or cargo build -p mspkit-sim)`);
  }
  const child = spawn(binary, args, { stdio: ["pipe", "pipe", "inherit"] });
  const first = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolve);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the simulator exited (${code}) before printing its line`)));
  });
  child.stdout.resume(); // it prints nothing more; keep the pipe drained all the same
  return {
    line: parseSimulatorLine(first),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end();
      await exited;
    },
  };
}

/** The simulator's startup line (JSON text), checked for the fields the demo uses. */
export function parseSimulatorLine(text) {
  let line;
  try {
    line = JSON.parse(text);
  } catch {
    throw new Error("the simulator line is not JSON: pass the first line mspkit-sim prints");
  }
  for (const key of ["vsax", "vsa9", "autotask", "stats_url"]) {
    if (!line || typeof line !== "object" || !(key in line)) {
      throw new Error(`the simulator line has no "${key}": pass the first line mspkit-sim prints`);
    }
  }
  return line;
}

/** The simulator's origin (`http://127.0.0.1:PORT`): the one loopback target the relay
 * forwards to in simulator mode. */
export const simulatorOrigin = (line) => new URL(line.stats_url).origin;

/**
 * Per vendor id (as in ui/vendors.js): the field values for the simulator's tenants and
 * the advanced settings a loopback tenant needs. These are the simulator's own made-up
 * credentials; nothing real.
 */
export function simulatorTenants(line) {
  const loopback = { allowInsecureLoopback: true };
  const { vsax, vsa9, autotask } = line;
  return {
    vsax: {
      values: { tenantUrl: vsax.tenant_url, tokenId: vsax.token_id, tokenSecret: vsax.token_secret },
      ...loopback,
    },
    vsa9: {
      values: { serverUrl: vsa9.server_url, username: vsa9.username, token: vsa9.token, auth: "pat" },
      ...loopback,
    },
    vsa9_warehouse: {
      values: { serverUrl: vsa9.server_url, username: vsa9.username, token: vsa9.warehouse_token },
      ...loopback,
    },
    autotask: {
      values: { username: autotask.username, secret: autotask.secret, integrationCode: autotask.integration_code },
      zoneDiscoveryUrl: autotask.zone_discovery_url,
      ...loopback,
    },
  };
}
