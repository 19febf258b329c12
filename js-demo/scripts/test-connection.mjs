#!/usr/bin/env node
// Tests the connection to one tenant and prints mspkit's report. Exit status: 0
// connected, 1 not (the reason and what to do on stderr), 2 usage error.

import { Client } from "../../bindings-wasm/pkg/node.js";
import { integerOption, parseOptions, UsageError } from "../lib/options.mjs";
import { run } from "./lib/run.mjs";
import { resolveTenant, TENANT_OPTIONS, tenantHelp } from "./lib/tenant.mjs";
import { errorLines, reportLines } from "./lib/text.mjs";

const USAGE = `Usage: node js-demo/scripts/test-connection.mjs [options]

Runs mspkit's connection test against a tenant: VSA X and VSA 9 count organisations,
Autotask counts companies, the Data Warehouse answers a query.

  --json                   print the report as JSON on stdout (failures too)
  --help                   this text

${tenantHelp()}

Examples:
  MSPKIT_VSAX_TENANT=acme.vsax.net MSPKIT_VSAX_TOKEN_ID=... MSPKIT_VSAX_TOKEN_SECRET=... \\
    node js-demo/scripts/test-connection.mjs
  node js-demo/scripts/test-connection.mjs --simulator --vendor autotask --json`;

const OPTIONS = { ...TENANT_OPTIONS, json: { type: "boolean", default: false }, help: { type: "boolean", default: false } };

run("test-connection.mjs", async () => {
  const { values, positionals } = parseOptions(process.argv.slice(2), OPTIONS);
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const timeoutMs = integerOption("timeout-ms", values["timeout-ms"], 1, 600_000);
  const tenant = await resolveTenant(values);
  try {
    const client = Client[tenant.factory](tenant.options);
    const report = await client.testConnection({ timeoutMs });
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (report.ok) process.stdout.write(`${reportLines(report).join("\n")}\n`);
    else process.stderr.write(`Not connected: ${errorLines(report.error).join("\n")}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await tenant.simulator?.stop();
  }
});
