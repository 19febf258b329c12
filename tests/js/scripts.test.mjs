// The Node scripts (js-demo/scripts/) as a person runs them: exit statuses, what they
// print, that an export has every record once (NDJSON and CSV), and that no secret ever
// reaches their output.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { ROOT } from "./support/demo_server.mjs";
import { SENTINEL, useSim } from "./support/sim.mjs";
import { WRONG_SECRET } from "./support/clients.mjs";

const sim = await useSim();
const SCRIPTS = `${ROOT}js-demo/scripts/`;

/** Runs a script with `args` and only `env` (no MSPKIT_* of the caller's shell). */
function runScript(name, args, env = {}) {
  const child = spawn(process.execPath, [`${SCRIPTS}${name}`, ...args], {
    env: { PATH: process.env.PATH, MSPKIT_SIM: process.env.MSPKIT_SIM ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk) => (out.stdout += chunk));
  child.stderr.on("data", (chunk) => (out.stderr += chunk));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, ...out })));
}

/** The flags and variables for the simulator's `vendor` tenant, secrets in variables. */
function tenant(vendor, { secret } = {}) {
  const { vsax, vsa9, autotask } = sim().line;
  const loopback = ["--allow-insecure-loopback"];
  if (vendor === "vsax") {
    return {
      args: ["--vendor", "vsax", "--tenant-url", vsax.tenant_url, "--token-id", vsax.token_id, ...loopback],
      env: { MSPKIT_VSAX_TOKEN_SECRET: secret ?? vsax.token_secret },
    };
  }
  if (vendor === "vsa9") {
    return {
      args: ["--vendor", "vsa9", ...loopback],
      env: { MSPKIT_VSA9_SERVER: vsa9.server_url, MSPKIT_VSA9_USERNAME: vsa9.username, MSPKIT_VSA9_TOKEN: secret ?? vsa9.token },
    };
  }
  if (vendor === "warehouse") {
    return {
      args: ["--vendor", "warehouse", ...loopback],
      env: { MSPKIT_VSA9_SERVER: vsa9.server_url, MSPKIT_VSA9_USERNAME: vsa9.username, MSPKIT_VSA9_WAREHOUSE_TOKEN: secret ?? vsa9.warehouse_token },
    };
  }
  return {
    args: ["--vendor", "autotask", "--zone-discovery-url", autotask.zone_discovery_url, ...loopback],
    env: {
      MSPKIT_AUTOTASK_USERNAME: autotask.username,
      MSPKIT_AUTOTASK_SECRET: secret ?? autotask.secret,
      MSPKIT_AUTOTASK_INTEGRATION_CODE: autotask.integration_code,
    },
  };
}

function assertNoSecret(result) {
  assert.ok(!result.stdout.includes(SENTINEL), "a secret on stdout");
  assert.ok(!result.stderr.includes(SENTINEL), "a secret on stderr");
}

/** RFC 4180 rows of `text` (quoted fields, doubled quotes, CRLF). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && text[i + 1] === "\n") row.push(field), rows.push(row), (row = []), (field = ""), i++;
    else field += c;
  }
  assert.equal(field + row.join(""), "", "the CSV ends with CRLF");
  return rows;
}

const ORGS = { vsax: "vsax.organizations", vsa9: "vsa9.orgs", autotask: "autotask.companies" };
const NAMES = { vsax: "Kaseya VSA X", vsa9: "Kaseya VSA 9", warehouse: "Kaseya VSA 9 Data Warehouse", autotask: "Autotask PSA" };

for (const vendor of ["vsax", "vsa9", "warehouse", "autotask"]) {
  test(`test-connection ${vendor}: exit 0 and the report`, async () => {
    const { args, env } = tenant(vendor);
    const result = await runScript("test-connection.mjs", args, env);
    assert.equal(result.code, 0, result.stderr);
    const count = ORGS[vendor] ? ` ${await sim().records(ORGS[vendor])} ` : "";
    assert.ok(result.stdout.startsWith(`Connected to ${NAMES[vendor]}${count ? `:${count}` : ""}`), result.stdout);
    assertNoSecret(result);
  });

  test(`test-connection ${vendor}: a wrong secret exits 1 with the remediation on stderr`, async () => {
    const { args, env } = tenant(vendor, { secret: WRONG_SECRET });
    const result = await runScript("test-connection.mjs", args, env);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^Not connected: .+\n {2}What to do: .{20,}/);
    assert.match(result.stderr, /\(unauthorized/);
    assertNoSecret(result);
  });
}

test("test-connection --json prints the report as JSON, a failure too", async () => {
  const ok = await runScript("test-connection.mjs", [...tenant("vsax").args, "--json"], tenant("vsax").env);
  assert.equal(ok.code, 0);
  const report = JSON.parse(ok.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.organizationCount, await sim().records("vsax.organizations"));
  const { args, env } = tenant("autotask", { secret: WRONG_SECRET });
  const failed = await runScript("test-connection.mjs", [...args, "--json"], env);
  assert.equal(failed.code, 1);
  const error = JSON.parse(failed.stdout).error;
  assert.equal(error.code, "unauthorized");
  assert.ok(error.remediation);
  assertNoSecret(failed);
});

test("test-connection --simulator starts a simulator of its own", async () => {
  const result = await runScript("test-connection.mjs", ["--simulator", "--vendor", "autotask"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Connected to Autotask PSA: 30 companies/);
});

for (const [args, env, problem] of [
  [["--vendor", "kaseya"], {}, /--vendor takes vsax, vsa9, warehouse or autotask/],
  [["--vendor", "vsax", "--tenant-url", "acme.vsax.net", "--token-id", "x"], {}, /set \$MSPKIT_VSAX_TOKEN_SECRET/],
  [["--timeout-ms", "soon"], {}, /--timeout-ms takes a whole number/],
  [["extra"], {}, /unexpected argument "extra"/],
]) {
  test(`test-connection usage error (${problem.source}): exit 2`, async () => {
    const result = await runScript("test-connection.mjs", args, env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, problem);
  });
}

test("test-connection: a malformed tenant URL is mspkit's invalid_config, exit 1", async () => {
  const result = await runScript("test-connection.mjs", ["--tenant-url", "http://acme.vsax.net", "--token-id", "x"], {
    MSPKIT_VSAX_TOKEN_SECRET: SENTINEL,
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /https/);
  assertNoSecret(result);
});

const EXPORTS = {
  vsax: { count: "vsax.devices", n: 250, id: "Identifier" },
  vsa9: { count: "vsa9.agents", n: 260, id: "AgentId" },
  warehouse: { count: "vsa9.agents", n: 260, id: "AgentId" },
  autotask: { count: "autotask.companies", n: 1234, id: "id" },
};

for (const [vendor, { count, n, id }] of Object.entries(EXPORTS)) {
  test(`export ${vendor}: one NDJSON line per record, each once`, async () => {
    await sim().reset({ counts: { [count]: n }, warehouse_page_size: 100 });
    const { args, env } = tenant(vendor);
    const result = await runScript("export.mjs", args, env);
    assert.equal(result.code, 0, result.stderr);
    const records = result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.equal(records.length, await sim().records(count));
    assert.equal(new Set(records.map((record) => record[id])).size, records.length, "duplicates");
    assert.match(result.stderr, new RegExp(`exported ${records.length} records of `));
    assertNoSecret(result);
  });
}

test("export --format csv: the header from the first record, rows that parse back to the records", async () => {
  await sim().reset({ counts: { "vsax.devices": 150 } });
  const { args, env } = tenant("vsax");
  const [csv, ndjson] = await Promise.all([
    runScript("export.mjs", [...args, "--format", "csv"], env),
    runScript("export.mjs", args, env),
  ]);
  assert.equal(csv.code, 0, csv.stderr);
  const records = ndjson.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  const [header, ...rows] = parseCsv(csv.stdout);
  assert.deepEqual(header, Object.keys(records[0]));
  assert.equal(rows.length, records.length);
  const text = (value) => (value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value));
  rows.forEach((row, i) => assert.deepEqual(row, header.map((name) => text(records[i][name])), `row ${i + 1}`));
  assert.ok(rows.some((row) => row.some((field) => field.includes(","))), "a field with a comma was exercised");
});

test("export --limit stops after N records; Autotask nested values are JSON in CSV", async () => {
  const { args, env } = tenant("autotask");
  const result = await runScript("export.mjs", [...args, "--limit", "7", "--format", "csv", "Companies"], env);
  assert.equal(result.code, 0, result.stderr);
  const [header, ...rows] = parseCsv(result.stdout);
  assert.equal(rows.length, 7);
  const udf = header.indexOf("userDefinedFields");
  assert.ok(udf >= 0);
  for (const row of rows) assert.ok(Array.isArray(JSON.parse(row[udf])));
});

test("export progress: a line every N pages when stderr is not a terminal", async () => {
  await sim().reset({ counts: { "vsax.devices": 250 } });
  const { args, env } = tenant("vsax");
  const result = await runScript("export.mjs", [...args, "--page-size", "50", "--progress-every", "2"], env);
  assert.equal(result.code, 0);
  const lines = result.stderr.trimEnd().split("\n");
  assert.deepEqual(lines.slice(0, -1), ["page 2: 100 of 250 records", "page 4: 200 of 250 records"]);
  assert.match(lines.at(-1), /^exported 250 records of devices from Kaseya VSA X in 5 pages \(5 requests, /);
  assert.ok(!result.stderr.includes("\r"));
});

test("export: a wrong secret exits 1 with the remediation, nothing on stdout", async () => {
  const { args, env } = tenant("vsax", { secret: WRONG_SECRET });
  const result = await runScript("export.mjs", args, env);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /What to do: /);
  assertNoSecret(result);
});

test("export usage errors: exit 2", async () => {
  for (const args of [["--format", "xml"], ["--limit", "0"], ["a", "b"], ["--vendor", "autotask", "--filter", "isActive eq true"]]) {
    const result = await runScript("export.mjs", args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
  }
});

test("--help of both scripts names the environment variables and says to prefer them", async () => {
  for (const name of ["test-connection.mjs", "export.mjs"]) {
    const result = await runScript(name, ["--help"]);
    assert.equal(result.code, 0);
    for (const variable of ["MSPKIT_VSAX_TOKEN_SECRET", "MSPKIT_VSA9_TOKEN", "MSPKIT_AUTOTASK_SECRET"]) {
      assert.ok(result.stdout.includes(variable), `${name} --help names ${variable}`);
    }
    assert.match(result.stdout, /pass secrets in the variables, not as flags/);
  }
});
