// The demo server's relay (js-demo/server/relay.mjs): every refusal answers 403/400/413
// with its error code and sends nothing anywhere, and what it accepts reaches the
// simulator and gives the same results as calling it directly.
//
// "Nothing was sent" is shown twice over: the server runs with an egress probe that logs
// every outgoing connection before it is made (no probe line may appear while a refused
// request is handled), and loopback targets point at a canary server that counts hits.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Sim, SENTINEL } from "./support/sim.mjs";
import { DemoServer } from "./support/demo_server.mjs";
import { clientFor, family, listPages, LISTS, VENDORS } from "./support/clients.mjs";
import { PROBE } from "./support/egress_probe.mjs";

const probe = fileURLToPath(new URL("./support/egress_probe.mjs", import.meta.url));
const CORE_VENDOR = { vsax: "vsax", vsa9_pat: "vsa9", vsa9_password: "vsa9", warehouse: "vsa9_warehouse", autotask: "autotask" };
const AUTH = { Authorization: `Basic ${Buffer.from(`id:${SENTINEL}`).toString("base64")}`, Accept: "application/json" };

// One simulator for the file (reset before each test), as useSim does; started here so
// the demo servers can be given its line in the same hook.
let simulator;
const sim = () => simulator;
/** A loopback server that counts every request it gets: the "foreign" target. */
let canary;
let canaryHits = 0;
let plain; // the relay for real tenants only
let simMode; // the relay in simulator mode

before(async () => {
  simulator = await Sim.start();
  canary = createServer((req, res) => {
    canaryHits += 1;
    res.end("canary");
  });
  await new Promise((resolve) => canary.listen(0, "127.0.0.1", resolve));
  const start = (args) => DemoServer.start(args, { nodeArgs: ["--import", probe] });
  [plain, simMode] = await Promise.all([start([]), start(["--sim-line", JSON.stringify(sim().line)])]);
});

after(async () => {
  await Promise.all([plain?.stop(), simMode?.stop(), simulator?.stop()]);
  canary?.close();
});

beforeEach(() => simulator.reset());

const canaryUrl = (path = "/api/v3/devices") => `http://127.0.0.1:${canary.address().port}${path}`;

/**
 * Relays `body` through `server` and checks the refusal: `status`, `code`, the relay's
 * mark, no egress, no canary hit, no simulator request, no secret echoed back.
 */
async function assertRefused(server, body, { status = 403, code = "unsafe_link", headers } = {}) {
  const hits = canaryHits;
  const requests = (await sim().stats()).vendors;
  const mark = server.stderr.length;
  const answer = await server.relay(body, headers);
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error?.code, code, answer.text);
  assert.ok(answer.json.error.message && answer.json.error.remediation, answer.text);
  assert.equal(answer.headers.get("x-mspkit-relay"), "refused");
  assert.ok(!answer.text.includes(SENTINEL), "the refusal echoes a secret");
  // The relay logs the refusal last, on the same pipe as any probe line before it.
  await server.waitForStderr((text) => text.slice(mark).includes("relay "));
  assert.ok(!server.stderrSince(mark).includes(PROBE), `something was sent:\n${server.stderrSince(mark)}`);
  assert.equal(canaryHits, hits, "the canary was reached");
  assert.deepEqual((await sim().stats()).vendors, requests, "the simulator was reached");
  return answer.json.error;
}

const vsax = (url, extra = {}) => ({ vendor: "vsax", method: "GET", url, headers: AUTH, ...extra });

// ---- refused outside simulator mode

const cases = {
  "a host of no vendor": "https://evil.example.com/api/v3/devices",
  "a lookalike of a vendor domain": "https://evilvsax.net/api/v3/devices",
  "another vendor's domain": "https://webservices5.autotask.net/api/v3/devices",
  "127.0.0.1 (the canary)": null,
  "localhost (the canary)": "localhost",
  "the cloud metadata address": "https://169.254.169.254/api/v3/devices",
  "a private address": "https://10.0.0.1/api/v3/devices",
  "IPv6 loopback": "https://[::1]/api/v3/devices",
  "IPv6 link-local": "https://[fe80::1]/api/v3/devices",
  "a file: URL": "file:///etc/passwd",
  "plain http to a vendor host": "http://acme.vsax.net/api/v3/devices",
  "user and password in the URL": `https://admin:${SENTINEL}@acme.vsax.net/api/v3/devices`,
  "a fragment": "https://acme.vsax.net/api/v3/devices#x",
  "a path outside the API base": "https://acme.vsax.net/admin/users",
  "a .. path out of the API base": "https://acme.vsax.net/api/v3/../../admin",
  "an escaped .. path": "https://acme.vsax.net/api/v3/%2e%2e/%2E%2E/admin",
  "the VSA 9 API for VSA X": "https://acme.vsax.net/api/v1.0/system/orgs",
};
for (const [name, url] of Object.entries(cases)) {
  test(`real-tenant mode: ${name}: 403 unsafe_link, nothing sent`, async () => {
    const target = url === null ? canaryUrl() : url === "localhost" ? canaryUrl().replace("127.0.0.1", "localhost") : url;
    await assertRefused(plain, vsax(target));
  });
}

for (const header of ["Cookie", "Host", "X-Forwarded-For", "Proxy-Authorization"]) {
  test(`real-tenant mode: a ${header} header: 403 unsafe_link naming it`, async () => {
    const error = await assertRefused(plain, vsax("https://acme.vsax.net/api/v3/devices", { headers: { ...AUTH, [header]: SENTINEL } }));
    assert.match(error.message, new RegExp(header));
  });
}

for (const method of ["PUT", "DELETE", "PATCH"]) {
  test(`real-tenant mode: the ${method} method: 403 unsafe_link`, async () => {
    await assertRefused(plain, vsax("https://acme.vsax.net/api/v3/devices/1", { method, body: "{}" }));
  });
}

test("real-tenant mode: Autotask paths must be under ATServicesRest/V1.0", async () => {
  const request = { vendor: "autotask", method: "POST", url: "https://webservices5.autotask.net/ATServicesRest/V2.0/x", headers: {} };
  await assertRefused(plain, request);
});

// ---- malformed relay bodies

test("malformed: not JSON: 400 invalid_config", async () => {
  const error = await assertRefused(plain, '{"vendor": "vsax", "url": ', { status: 400, code: "invalid_config" });
  assert.match(error.message, /not JSON/);
});

test("malformed: a JSON array: 400 invalid_config", async () => {
  await assertRefused(plain, "[1, 2]", { status: 400, code: "invalid_config" });
});

test("malformed: an unknown vendor: 400 invalid_config", async () => {
  await assertRefused(plain, vsax("https://acme.vsax.net/api/v3/devices", { vendor: "kaseya" }), { status: 400, code: "invalid_config" });
});

test("malformed: a missing url: 400 invalid_config", async () => {
  await assertRefused(plain, { vendor: "vsax", method: "GET", headers: {} }, { status: 400, code: "invalid_config" });
});

test("malformed: over 1 MB: 413", async () => {
  const body = JSON.stringify(vsax("https://acme.vsax.net/api/v3/devices", { body: "x".repeat(1024 * 1024) }));
  await assertRefused(plain, body, { status: 413, code: "invalid_config" });
});

test("malformed: not declared as JSON: 415 (what a cross-site form could send)", async () => {
  const body = JSON.stringify(vsax("https://acme.vsax.net/api/v3/devices"));
  await assertRefused(plain, body, { status: 415, code: "invalid_config", headers: { "Content-Type": "text/plain" } });
});

// ---- refused in simulator mode

test("simulator mode: a loopback service other than the simulator (the canary), on the right API path", async () => {
  const error = await assertRefused(simMode, vsax(canaryUrl()));
  assert.match(error.message, /only loopback target is the simulator/);
});

test("simulator mode: the simulator's own control endpoint, outside every API base", async () => {
  // Sent, this would reset the simulator's counters; assertRefused sees them unchanged.
  await clientFor(sim(), "vsax").testConnection({ timeoutMs: 5000 });
  const request = { vendor: "vsax", method: "POST", url: `${sim().origin}/_sim/reset`, headers: { "Content-Type": "application/json" }, body: "{}" };
  await assertRefused(simMode, request);
});

test("simulator mode: a vendor's request on another vendor's API path", async () => {
  await assertRefused(simMode, vsax(`${sim().origin}/api/v1.0/system/orgs`));
});

test("simulator mode: IPv6 loopback, not the simulator's address", async () => {
  await assertRefused(simMode, vsax(`http://[::1]:${new URL(sim().origin).port}/api/v3/devices`));
});

test("simulator mode: a page of another site: the Origin header is checked", async () => {
  const body = vsax(`${sim().origin}/api/v3/organizations`);
  const answer = await simMode.relay(body, { "Content-Type": "application/json", Origin: "https://evil.example.com" });
  assert.equal(answer.status, 403);
  assert.equal(answer.json.error.code, "forbidden");
  assert.equal(await sim().vendorCounter("vsax"), 0);
});

// ---- relayed to the simulator

test("relayed: the egress probe sees the relay connect (the control of every 'nothing sent')", async () => {
  const mark = simMode.stderr.length;
  const answer = await simMode.relay(vsax(`${sim().origin}/api/v3/organizations`));
  assert.equal(answer.status, 401); // sent: the simulator refused the made-up token
  assert.ok(simMode.stderrSince(mark).includes(`${PROBE} 127.0.0.1:${new URL(sim().origin).port}`), simMode.stderrSince(mark));
  assert.equal(await sim().vendorCounter("vsax"), 1);
});

for (const vendor of VENDORS) {
  test(`relayed: ${vendor}: the connection test through the relay reports what the direct one does`, async () => {
    const direct = await clientFor(sim(), vendor).testConnection({ timeoutMs: 5000 });
    const relayed = await clientFor(sim(), vendor).testConnection({ fetch: simMode.relayFetch(CORE_VENDOR[vendor]), timeoutMs: 5000 });
    assert.equal(relayed.ok, true, relayed.message);
    for (const field of ["ok", "vendor", "baseUrl", "organizationCount", "message", "requestsMade"]) {
      assert.deepEqual(relayed[field], direct[field], field);
    }
    assert.equal(await sim().vendorCounter(family(vendor)), direct.requestsMade * 2);
  });
}

for (const vendor of ["vsax", "vsa9_pat", "warehouse", "autotask"]) {
  test(`relayed: ${vendor}: a list through the relay delivers every record once`, async () => {
    const { resource, countName, id, pageSize } = LISTS[family(vendor)];
    const counts = { "vsax.devices": 250, "vsa9.agents": 260, "autotask.companies": 1234 };
    await sim().reset({ counts, warehouse_page_size: 100 });
    const client = clientFor(sim(), vendor);
    const pages = await listPages(client, resource, { pageSize, fetch: simMode.relayFetch(CORE_VENDOR[vendor]) });
    const ids = pages.flatMap((page) => page.items.map((item) => String(item[id])));
    assert.equal(new Set(ids).size, ids.length, "duplicates");
    assert.equal(ids.length, await sim().records(countName));
  });
}

test("relayed: only the headers mspkit reads come back; a 429's Retry-After does", async () => {
  await sim().reset({ faults: [{ vendor: "vsax", kind: "rate_limit", seconds: 7, retry_after: "seconds" }] });
  const answer = await simMode.relay(vsax(`${sim().origin}/api/v3/organizations`));
  assert.equal(answer.status, 429);
  assert.equal(answer.headers.get("retry-after"), "7");
  assert.equal(answer.headers.get("x-mspkit-relay"), null, "the tenant's answer is not marked");
  const upstreamOnly = [...answer.headers.keys()].filter(
    (name) => !/^(content-type|content-length|retry-after|date|preference-applied|connection|keep-alive)$/.test(name),
  );
  const ours = ["content-security-policy", "x-content-type-options", "referrer-policy", "cache-control"];
  assert.deepEqual(upstreamOnly.filter((name) => !ours.includes(name)), []);
});

test("relayed: one log line per relayed request: method, vendor, host and path, no query, header or body", async () => {
  const mark = simMode.stderr.length;
  const client = clientFor(sim(), "autotask");
  await listPages(client, "Companies", { fetch: simMode.relayFetch("autotask") });
  const relayLines = (text) => text.slice(mark).split("\n").filter((line) => line.startsWith("relay "));
  await simMode.waitForStderr((text) => relayLines(text).length >= client.requestsSent);
  const lines = relayLines(simMode.stderr);
  assert.equal(lines.length, client.requestsSent, simMode.stderrSince(mark));
  for (const line of lines) {
    assert.match(line, /^relay (GET|POST) autotask 127\.0\.0\.1:\d+\/ATServicesRest\/V1\.0\/\S+ -> 200 \(\d+ ms\)$/);
  }
});

test("the relay's stderr never holds a secret", () => {
  for (const server of [plain, simMode]) {
    assert.ok(server.relayLines.length > 0);
    assert.ok(!server.stderr.includes(SENTINEL), "a secret in the server's stderr");
    assert.ok(!/authorization|secret:|apiintegrationcode/i.test(server.relayLines.join("\n")));
  }
});
