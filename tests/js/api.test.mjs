// The sans-IO API without a server: constructors and their options, actions and events
// in camelCase, the forms of headers and bodies handleResponse takes, MspkitError from
// every method, exported state; and the package's two loaders.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Client, ERROR_CODES, MspkitError } from "./support/mspkit.mjs";

const run = promisify(execFile);
const PKG = new URL("../../bindings-wasm/pkg/", import.meta.url);
const NOW = 1_800_000_000_000;
const vsax = (extra = {}) => Client.vsax({ tenantUrl: "acme.vsax.net", tokenId: "id", tokenSecret: "secret", jitterSeed: 1, ...extra });
const PAGE = JSON.stringify({ Data: [{ Id: 1, Name: "a" }, { Id: 2, Name: "é\u2028\"" }], Meta: { ResponseCode: 200, TotalCount: 2 } });

function expectError(fn, code) {
  assert.throws(fn, (e) => e instanceof MspkitError && e instanceof Error && e.code === code && typeof e.remediation === "string");
}

test("constructors take one options object and check it", () => {
  const client = vsax();
  assert.equal(client.vendor, "vsax");
  assert.equal(client.baseUrl, "https://acme.vsax.net/api/v3/");
  assert.equal(Client.vsa9({ serverUrl: "vsa.example.com", username: "u", token: "t" }).vendor, "vsa9");
  assert.equal(Client.vsa9({ serverUrl: "vsa.example.com", username: "u", token: "t", auth: "password", nonce: 12n }).vendor, "vsa9");
  assert.equal(Client.vsa9Warehouse({ serverUrl: "vsa.example.com", username: "u", token: "t" }).baseUrl, "https://vsa.example.com/api/odata/1.0/");
  const at = Client.autotask({ username: "u@x.example", secret: "s", integrationCode: "C", autotaskPaging: "keyset", autotaskShare: 0.2 });
  assert.equal(at.baseUrl, null, "the zone is not known yet");
  expectError(() => Client.vsax({ tenantUrl: "acme.vsax.net", tokenId: "id" }), "invalid_config");
  expectError(() => Client.vsax({ tenantUrl: "http://acme.vsax.net", tokenId: "id", tokenSecret: "s" }), "invalid_config");
  expectError(() => vsax({ tokenSecrt: "s" }), "invalid_config");
  expectError(() => vsax({ maxInFlight: 0 }), "invalid_config");
  expectError(() => vsax({ windows: { default: [[1]] } }), "invalid_config");
  expectError(() => vsax({ retry: { maxAttempts: 1.5 } }), "invalid_config");
  expectError(() => vsax({ jitterSeed: -1 }), "invalid_config");
  expectError(() => Client.vsax(null), "invalid_config");
  expectError(() => Client.vsax("acme.vsax.net"), "invalid_config");
  assert.throws(() => new Client(), TypeError);
  try {
    vsax({ token_secret: "s" });
  } catch (e) {
    assert.match(e.message, /did you mean tokenSecret\?/);
  }
});

test("poll hands out camelCase actions: send, then a page event with plain objects", () => {
  const client = vsax();
  assert.equal(client.poll(NOW), null, "idle");
  const job = client.startList("devices", { pageSize: 2, filter: "Name eq 'a'", orderBy: "Name" });
  const send = client.poll(NOW);
  assert.equal(send.type, "send");
  const { id, method, url, headers, body } = send.request;
  assert.equal(method, "GET");
  assert.equal(url, "https://acme.vsax.net/api/v3/devices?$top=2&$skip=0&$filter=Name%20eq%20%27a%27&$orderby=Name");
  assert.deepEqual(headers.find(([n]) => n === "Authorization"), ["Authorization", "Basic aWQ6c2VjcmV0"]);
  assert.equal(body, null);
  assert.equal(client.poll(NOW), null, "one request in flight");
  client.handleResponse(id, 200, [["Content-Type", "application/json"]], PAGE, NOW + 5);
  const page = client.poll(NOW + 5);
  assert.deepEqual(page, {
    type: "event",
    event: {
      kind: "page",
      job,
      itemCount: 2,
      total: 2,
      pageNumber: 1,
      cursor: page.event.cursor,
      items: [{ Id: 1, Name: "a" }, { Id: 2, Name: "é\u2028\"" }],
    },
  });
  assert.deepEqual(client.poll(NOW + 5).event, { kind: "done", job, requestsMade: 1, itemCount: 2 });
  assert.equal(client.poll(NOW + 5), null);
});

test("handleResponse takes headers as pairs, an object, a Headers or a Map, and text or bytes", () => {
  const bytes = new TextEncoder().encode(PAGE);
  const forms = [
    [[["Content-Type", "application/json"]], PAGE],
    [{ "content-type": "application/json" }, bytes],
    [new Headers({ "content-type": "application/json" }), bytes.buffer],
    [new Map([["content-type", "application/json"]]), new DataView(bytes.buffer)],
    [null, Buffer.from(PAGE)],
    [undefined, PAGE],
  ];
  for (const [headers, body] of forms) {
    const client = vsax();
    client.startList("devices");
    const { request } = client.poll(NOW);
    client.handleResponse(request.id, 200, headers, body, NOW);
    const event = client.poll(NOW).event;
    assert.equal(event.kind, "page");
    assert.equal(event.items[1].Name, "é\u2028\"");
  }
  const client = vsax();
  client.startList("devices");
  const { request } = client.poll(NOW);
  expectError(() => client.handleResponse(request.id, 200, "content-type: x", PAGE, NOW), "invalid_config");
  expectError(() => client.handleResponse(request.id, 200, [["a"]], PAGE, NOW), "invalid_config");
  expectError(() => client.handleResponse(request.id, 200, [], 42, NOW), "invalid_config");
  expectError(() => client.handleResponse(request.id, 2.5, [], PAGE, NOW), "invalid_config");
  expectError(() => client.handleResponse(request.id + 1, 200, [], PAGE, NOW), "invalid_config");
});

test("records with a lone surrogate escape or a number beyond float range are all delivered", () => {
  const client = vsax();
  client.startList("devices");
  const { request } = client.poll(NOW);
  const body =
    '{"Data":[{"Id":1,"Name":"cut \\ud83d"},{"Id":2,"Size":1e400},{"Id":3,"Name":"\\ud83d\\ude00"}],' +
    '"Meta":{"ResponseCode":200,"TotalCount":3}}';
  client.handleResponse(request.id, 200, null, body, NOW);
  const event = client.poll(NOW).event;
  assert.equal(event.kind, "page");
  // JSON.parse reads both as JavaScript does: the lone surrogate kept, the number Infinity.
  assert.deepEqual(event.items, [
    { Id: 1, Name: "cut \ud83d" },
    { Id: 2, Size: Infinity },
    { Id: 3, Name: "\u{1f600}" },
  ]);
});

test("failures arrive as MspkitError events: a 401, a transport error", () => {
  const client = vsax({ retry: { maxAttempts: 1 } });
  const job = client.startList("devices");
  let { request } = client.poll(NOW);
  client.handleResponse(request.id, 401, [], "", NOW);
  const failed = client.poll(NOW).event;
  assert.equal(failed.kind, "failed");
  assert.equal(failed.job, job);
  assert.equal(failed.requestsMade, 1);
  assert.ok(failed.error instanceof MspkitError);
  assert.equal(failed.error.code, "unauthorized");
  assert.equal(failed.error.status, 401);
  assert.deepEqual(Object.keys(failed.error.toJSON()), ["name", "code", "status", "message", "remediation", "vendorMessage", "retryable"]);
  assert.ok(ERROR_CODES.includes(failed.error.code));

  client.startTestConnection();
  ({ request } = client.poll(NOW));
  expectError(() => client.handleTransportError(request.id, "dns", "x", NOW), "invalid_config");
  client.handleTransportError(request.id, "connect", "refused", NOW);
  const { event } = client.poll(NOW);
  assert.equal(event.kind, "connection");
  assert.equal(event.report.ok, false);
  assert.equal(event.report.vendor, "vsax");
  assert.ok(event.report.error instanceof MspkitError);
  assert.equal(event.report.error.code, "transport");
  assert.equal(event.report.error.status, null);
});

test("methods check their arguments", () => {
  const client = vsax();
  expectError(() => client.startList(42), "invalid_config");
  expectError(() => client.startList("../auth"), "invalid_config");
  expectError(() => client.startList("devices", { top: 5 }), "invalid_config");
  expectError(() => client.startList("devices", { fields: ["Name"] }), "invalid_config");
  expectError(() => client.poll(Number.NaN), "invalid_config");
  expectError(() => client.poll("now"), "invalid_config");
  expectError(() => client.importState("{"), "invalid_config");
  expectError(() => client.importState(7), "invalid_config");
});

test("a Wait comes with untilMs and exported state carries pacing between clients", () => {
  const windows = { default: [[1, 60_000]] };
  const first = vsax({ windows });
  first.startList("devices", { pageSize: 1 });
  const { request } = first.poll(NOW);
  first.handleResponse(request.id, 200, [], JSON.stringify({ Data: [{ Id: 1 }], Meta: { ResponseCode: 200, TotalCount: 2 } }), NOW);
  assert.equal(first.poll(NOW).event.kind, "page");
  const wait = first.poll(NOW);
  assert.equal(wait.type, "wait");
  assert.ok(wait.untilMs > NOW && wait.untilMs <= NOW + 60_001, String(wait.untilMs));
  const state = first.exportState();
  assert.equal(JSON.parse(state).vendor, "vsax");
  const second = vsax({ windows, jitterSeed: 2 });
  second.importState(state);
  second.startTestConnection();
  assert.equal(second.poll(NOW).type, "wait", "the first client's send counts");
});

test("the default jitter seed and nonce come from crypto.getRandomValues", () => {
  const a = Client.vsa9({ serverUrl: "vsa.example.com", username: "u", token: "t", auth: "password" });
  const b = Client.vsa9({ serverUrl: "vsa.example.com", username: "u", token: "t", auth: "password" });
  const logon = (c) => {
    c.startTestConnection();
    return c.poll(NOW).request.headers.find(([n]) => n === "Authorization")[1];
  };
  assert.notEqual(logon(a), logon(b), "different nonces");
  assert.notEqual(JSON.parse(vsax({ jitterSeed: undefined }).exportState()).v, undefined);
});

test("the browser entry loads the module with fetch(new URL(...))", async () => {
  // A fresh process: this one's glue is initialised by the Node entry already.
  const script = `
    import { readFile } from "node:fs/promises";
    const fetched = [];
    globalThis.fetch = async (url) => {
      fetched.push(String(url));
      return new Response(await readFile(new URL(url)), { headers: { "content-type": "application/wasm" } });
    };
    const { Client } = await import(${JSON.stringify(new URL("web.js", PKG).href)});
    const client = Client.vsax({ tenantUrl: "acme.vsax.net", tokenId: "i", tokenSecret: "s" });
    console.log(JSON.stringify({ fetched, vendor: client.vendor }));
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
  assert.deepEqual(JSON.parse(stdout), { fetched: [new URL("mspkit_wasm_bg.wasm", PKG).href], vendor: "vsax" });
});

test("`import { Client } from \"mspkit\"` works in Node through the package's exports", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mspkit-"));
  try {
    await mkdir(join(dir, "node_modules"));
    await symlink(fileURLToPath(PKG), join(dir, "node_modules", "mspkit"), "dir");
    const script = `
      import { Client, MspkitError } from "mspkit";
      const client = Client.vsax({ tenantUrl: "acme.vsax.net", tokenId: "i", tokenSecret: "s" });
      console.log(client.baseUrl, typeof MspkitError);
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: dir });
    assert.equal(stdout.trim(), "https://acme.vsax.net/api/v3/ function");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("package.json sends Node to node.js and everything else to web.js", async () => {
  const pkg = JSON.parse(await readFile(new URL("package.json", PKG), "utf8"));
  assert.equal(pkg.name, "mspkit");
  assert.equal(pkg.type, "module");
  assert.deepEqual(pkg.exports["."], { types: "./mspkit.d.ts", node: "./node.js", default: "./web.js" });
  for (const file of pkg.files) await readFile(new URL(file, PKG));
});

test("pacing options that would stall or never send are refused, named in JS spelling", () => {
  const cases = [
    [{ windows: { default: [[0, 1000]] } }, "windows[default]"],
    [{ windows: { groupPackage: [[5, 0]] } }, "windows[groupPackage]"],
    [{ failureGuard: [[0, 60000]] }, "failureGuard"],
    [{ autotaskShare: 0 }, "autotaskShare"],
    [{ autotaskShare: 1.5 }, "autotaskShare"],
    [{ maxInFlight: 0 }, "maxInFlight"],
    [{ retry: { maxAttempts: 0 } }, "maxAttempts"],
    [{ retry: { baseMs: 5000, capMs: 100 } }, "baseMs"],
  ];
  for (const [options, named] of cases) {
    assert.throws(
      () => Client.vsax({ tenantUrl: "acme.vsax.net", tokenId: "i", tokenSecret: "s", ...options }),
      (error) => error instanceof MspkitError && error.code === "invalid_config" && error.message.includes(named) && !/_[a-z]/.test(error.message),
      JSON.stringify(options),
    );
  }
  assert.throws(
    () => Client.vsax({ tenantUrl: "http://acme.vsax.net", tokenId: "i", tokenSecret: "s" }),
    (error) => error.code === "invalid_config",
  );
  assert.throws(
    () => Client.vsax({ tenantUrl: "http://127.0.0.1:1", tokenId: "i", tokenSecret: "s" }),
    (error) => error.remediation.includes("allowInsecureLoopback") && !error.remediation.includes("allow_insecure_loopback"),
  );
});
