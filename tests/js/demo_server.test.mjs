// The demo server (js-demo/server.mjs) apart from its relay: the files it serves and the
// ones it never serves, /config, its own-address checks, its startup line, and how it
// stops (end of stdin, SIGTERM) together with a simulator it started.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { DemoServer, ROOT, SERVER } from "./support/demo_server.mjs";
import { SENTINEL } from "./support/sim.mjs";

const SIM = process.env.MSPKIT_SIM ?? `${ROOT}target/debug/mspkit-sim`;
const SIM_ARGS = ["--simulator", SIM, "--sim-args", `--size small --sentinel ${SENTINEL}`];

let plain;
let simMode; // started its own simulator

before(async () => {
  [plain, simMode] = await Promise.all([DemoServer.start(), DemoServer.start(SIM_ARGS)]);
});

after(() => Promise.all([plain?.stop(), simMode?.stop()]));

const served = {
  "/": ["text/html", "js-demo/index.html"],
  "/index.html": ["text/html", "js-demo/index.html"],
  "/app.js": ["text/javascript", "js-demo/app.js"],
  "/style.css": ["text/css", "js-demo/style.css"],
  "/ui/vendors.js": ["text/javascript", "js-demo/ui/vendors.js"],
  "/pkg/web.js": ["text/javascript", "bindings-wasm/pkg/web.js"],
  "/pkg/mspkit_wasm_bg.wasm": ["application/wasm", "bindings-wasm/pkg/mspkit_wasm_bg.wasm"],
  "/app.js?v=2#top": ["text/javascript", "js-demo/app.js"],
};

for (const [path, [type, file]] of Object.entries(served)) {
  test(`serves ${path} as ${type}`, async () => {
    const answer = await plain.raw(path);
    assert.equal(answer.status, 200);
    assert.ok(answer.headers["content-type"].startsWith(type), answer.headers["content-type"]);
    assert.equal(answer.headers["x-content-type-options"], "nosniff");
    assert.match(answer.headers["content-security-policy"], /default-src 'none'/);
    assert.ok(answer.body.equals(await readFile(`${ROOT}${file}`)), "the file's bytes");
  });
}

const refused = [
  "/../README.md",
  "/..%2fREADME.md",
  "/%2e%2e/Cargo.toml",
  "/pkg/../../Cargo.toml",
  "/pkg/..%2f..%2fCargo.toml",
  "/pkg/%2e%2e/%2e%2e/Makefile",
  "/ui/..%5c..%5cMakefile",
  "/ui/../server.mjs",
  "//etc/passwd",
  "/%2fetc%2fpasswd",
  "/server.mjs",
  "/server/relay.mjs",
  "/scripts/export.mjs",
  "/lib/simulator.mjs",
  "/package.json",
  "/README.md",
  "/.gitignore",
  "/pkg/package.json",
  "/pkg/mspkit.d.ts",
  "/nothing-here.js",
  "/%E0%A4%A",
];

for (const path of refused) {
  test(`404 for ${path}`, async () => {
    const answer = await plain.raw(path);
    assert.equal(answer.status, 404);
    assert.equal(JSON.parse(answer.body).error.code, "not_found");
  });
}

test("HEAD gets the headers, no body; other methods get 405", async () => {
  const head = await fetch(plain.url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  assert.equal((await fetch(plain.url, { method: "POST" })).status, 405);
  assert.equal((await fetch(`${plain.url}relay`)).status, 405);
});

test("a Host header naming another site is refused (DNS rebinding of the demo itself)", async () => {
  const answer = await simMode.raw("/config", { Host: "evil.example.com" });
  assert.equal(answer.status, 403);
  assert.ok(!answer.body.toString().includes(SENTINEL));
});

test("localhost names the server as well as 127.0.0.1", async () => {
  const { port } = new URL(plain.url);
  assert.equal((await plain.raw("/", { Host: `localhost:${port}` })).status, 200);
});

test("/config: the simulator's tenants in simulator mode, none otherwise", async () => {
  assert.deepEqual(await (await fetch(`${plain.url}config`)).json(), { simulator: false, allowHosts: [] });
  const config = await (await fetch(`${simMode.url}config`)).json();
  assert.equal(config.simulator, true);
  assert.deepEqual(Object.keys(config.tenants).sort(), ["autotask", "vsa9", "vsa9_warehouse", "vsax"]);
  assert.ok(config.tenants.vsax.values.tenantUrl.startsWith(simMode.info.simulator.origin));
  assert.ok(config.tenants.autotask.zoneDiscoveryUrl.endsWith("/ATServicesRest/V1.0/zoneInformation"));
  assert.ok(config.tenants.vsax.allowInsecureLoopback);
});

test("the startup line names the URLs and no secret", async () => {
  assert.match(plain.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(plain.info.simulator, null);
  const line = JSON.stringify(simMode.info);
  assert.ok(!line.includes(SENTINEL));
  assert.ok((await fetch(simMode.info.simulator.stats_url)).ok, "the simulator it started answers");
});

test("end of stdin stops the server and the simulator it started", async () => {
  const server = await DemoServer.start(SIM_ARGS);
  const stats = server.info.simulator.stats_url;
  const exited = new Promise((resolve) => server.child.once("exit", (code) => resolve(code)));
  server.child.stdin.end();
  assert.equal(await exited, 0);
  await assert.rejects(fetch(stats), "the simulator is gone");
  await assert.rejects(fetch(server.url), "the server is gone");
});

test("SIGTERM stops it", async () => {
  const server = await DemoServer.start();
  const exited = new Promise((resolve) => server.child.once("exit", (code) => resolve(code)));
  server.child.kill("SIGTERM");
  assert.equal(await exited, 0);
});

for (const [args, problem] of [
  [["--port", "http"], /--port takes a whole number/],
  [["--bogus"], /Unknown option '--bogus'/],
  [["--simulator", SIM, "--sim-line", "{}"], /pass one of them/],
]) {
  test(`usage error ${args.join(" ")}: exit 2 naming it`, async () => {
    const child = spawn(process.execPath, [SERVER, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(code, 2);
    assert.match(stderr, problem);
  });
}

test("the server's stderr holds no secret", () => {
  for (const server of [plain, simMode]) assert.ok(!server.stderr.includes(SENTINEL));
});
