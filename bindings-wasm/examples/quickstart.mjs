#!/usr/bin/env node
// The README's Node quick start, runnable as is: `node bindings-wasm/examples/quickstart.mjs`
// after `make wasm` (which links the package as node_modules/mspkit for the examples).
//
// With MSPKIT_VSAX_TENANT, MSPKIT_VSAX_TOKEN_ID and MSPKIT_VSAX_TOKEN_SECRET set it talks
// to that tenant; otherwise it starts the tenant simulator (MSPKIT_SIM, default
// target/debug/mspkit-sim) and talks to it.

import { Client, MspkitError } from "mspkit";
import { defaultSimulatorPath, startSimulator } from "../../js-demo/lib/simulator.mjs";

async function quickstart(tenantUrl, tokenId, tokenSecret, simulator) {
  // --- README: Node quick start ---
  const client = Client.vsax({
    tenantUrl, // pasted as-is: "acme.vsax.net/", "https://acme.vsax.net/api/v3/" ...
    tokenId,
    tokenSecret,
    allowInsecureLoopback: simulator, // plain http only for the local simulator
  });
  const report = await client.testConnection(); // fetch is globalThis.fetch by default
  console.log(report.ok ? report.message : `${report.error.message}. ${report.error.remediation}`);

  let savedCursor = null;
  try {
    for await (const page of client.pages("devices", { pageSize: 100 })) {
      const names = page.items.map((device) => device.Name);
      console.log(`page ${page.pageNumber}: ${names.length} devices, e.g. ${names.slice(0, 2).join(", ")}`);
      savedCursor = page.cursor; // store it with the rows: resumes after this page
    }
  } catch (error) {
    if (!(error instanceof MspkitError)) throw error;
    // every mspkit error has code, status, message, remediation
    console.log(`[${error.code}] ${error.message}. ${error.remediation}`);
  }
  // --- end of the quick start ---
  console.log(`resume with cursor=${String(savedCursor).slice(0, 40)}`);
}

const env = process.env;
if (env.MSPKIT_VSAX_TENANT) {
  await quickstart(env.MSPKIT_VSAX_TENANT, env.MSPKIT_VSAX_TOKEN_ID ?? "", env.MSPKIT_VSAX_TOKEN_SECRET ?? "", false);
} else {
  const sim = await startSimulator(defaultSimulatorPath(), ["--size", "small"]);
  try {
    const { tenant_url, token_id, token_secret } = sim.line.vsax;
    await quickstart(tenant_url, token_id, token_secret, true);
  } finally {
    await sim.stop();
  }
}
