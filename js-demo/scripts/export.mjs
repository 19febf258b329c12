#!/usr/bin/env node
// Exports one resource of a tenant to stdout, page by page: NDJSON (one record a line,
// as the vendor sent it) or CSV. Progress on stderr. Exit status: 0 done, 1 the tenant
// failed the list (the reason and what to do on stderr), 2 usage error.

import { Client } from "../../bindings-wasm/pkg/node.js";
import { integerOption, parseOptions, UsageError } from "../lib/options.mjs";
import { VENDORS } from "../ui/vendors.js";
import { CsvWriter } from "./lib/csv.mjs";
import { Progress } from "./lib/progress.mjs";
import { run } from "./lib/run.mjs";
import { resolveTenant, TENANT_OPTIONS, tenantHelp, vendorOf } from "./lib/tenant.mjs";

const USAGE = `Usage: node js-demo/scripts/export.mjs [options] [RESOURCE]

Writes every record of RESOURCE to stdout. RESOURCE defaults to the vendor's devices:
devices (VSA X), assetmgmt/agents (VSA 9), Agents (Data Warehouse), Companies (Autotask).

  --format ndjson|csv      NDJSON (default), or CSV with the first record's keys as header
                           (nested values as JSON)
  --limit N                stop after N records
  --page-size N            records per request (clamped to the vendor's maximum)
  --filter TEXT            OData $filter (VSA X, VSA 9, Data Warehouse), or Autotask filter
                           items as JSON: '[{"op":"eq","field":"isActive","value":true}]'
  --progress-every N       when stderr is not a terminal, a progress line every N pages
                           (default 10)
  --help                   this text

${tenantHelp()}

Examples:
  node js-demo/scripts/export.mjs --simulator --format csv > devices.csv
  MSPKIT_AUTOTASK_USERNAME=... MSPKIT_AUTOTASK_SECRET=... MSPKIT_AUTOTASK_INTEGRATION_CODE=... \\
    node js-demo/scripts/export.mjs --vendor autotask Tickets > tickets.ndjson`;

const OPTIONS = {
  ...TENANT_OPTIONS,
  format: { type: "string", default: "ndjson" },
  limit: { type: "string" },
  "page-size": { type: "string" },
  filter: { type: "string" },
  "progress-every": { type: "string", default: "10" },
  help: { type: "boolean", default: false },
};

/** Writes to stdout with backpressure; a reader that went away (`| head`) ends the export. */
class Output {
  closed = false;

  constructor(stream) {
    this.stream = stream;
    stream.on("error", (error) => {
      if (error.code !== "EPIPE") throw error;
      this.closed = true;
    });
  }

  async write(text) {
    if (text !== "" && !this.closed && !this.stream.write(text)) {
      await new Promise((resolve) => {
        this.stream.once("drain", resolve);
        this.stream.once("error", resolve);
      });
    }
  }
}

function listOptions(values, vendor) {
  const options = {};
  if (values["page-size"] !== undefined) options.pageSize = integerOption("page-size", values["page-size"], 1, 100_000);
  if (values.filter !== undefined) {
    if (vendor !== "autotask") options.filter = values.filter;
    else {
      try {
        options.filter = JSON.parse(values.filter);
      } catch {
        throw new UsageError('--filter for Autotask takes filter items as JSON, e.g. \'[{"op":"eq","field":"isActive","value":true}]\'');
      }
    }
  }
  return options;
}

run("export.mjs", async () => {
  const { values, positionals } = parseOptions(process.argv.slice(2), OPTIONS);
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (positionals.length > 1) throw new UsageError(`one RESOURCE at most, not "${positionals.join(" ")}"`);
  if (!["ndjson", "csv"].includes(values.format)) throw new UsageError(`--format takes ndjson or csv, not "${values.format}"`);
  const vendor = vendorOf(values);
  const resource = positionals[0] ?? VENDORS[vendor].list.resource;
  const limit = values.limit === undefined ? Infinity : integerOption("limit", values.limit, 1, Number.MAX_SAFE_INTEGER);
  const every = integerOption("progress-every", values["progress-every"], 1, 1_000_000);
  const timeoutMs = integerOption("timeout-ms", values["timeout-ms"], 1, 600_000);
  const list = listOptions(values, vendor);

  const tenant = await resolveTenant(values);
  try {
    const client = Client[tenant.factory](tenant.options);
    const output = new Output(process.stdout);
    const progress = new Progress(process.stderr, { every, noun: "records" });
    const csv = values.format === "csv" ? new CsvWriter() : null;
    const started = Date.now();
    let written = 0;
    let pages = 0;
    for await (const page of client.pages(resource, { ...list, timeoutMs })) {
      const items = page.items.slice(0, limit - written);
      await output.write(csv ? csv.rows(items) : items.map((item) => `${JSON.stringify(item)}\n`).join(""));
      written += items.length;
      pages = page.pageNumber;
      progress.page(page.pageNumber, written, page.total);
      if (written >= limit || output.closed) break;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    progress.done(
      `exported ${plural(written, "record")} of ${resource} from ${VENDORS[vendor].label} in ` +
        `${plural(pages, "page")} (${plural(client.requestsSent, "request")}, ${seconds} s)`,
    );
    return 0;
  } finally {
    await tenant.simulator?.stop();
  }
});
