// make bench (wasm part): the package's size, and what delivering a page costs next to a
// plain JSON.parse of the same body. Pages come from the simulator (realistic records):
// a 100-item VSA X devices page and a 500-item Autotask companies page. Decode =
// handleResponse + poll (the page event with its items as JS objects); request = a
// startList + poll that hands out the signed request. Prints one line per figure and
// writes bench/results.json. Usage: node bindings-wasm/bench/decode.mjs [--rounds N]

import { readFile, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { Client } from "../pkg/node.js";
import { Sim } from "../../tests/js/support/sim.mjs";

const PKG = new URL("../pkg/", import.meta.url);
const ROUNDS = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 15;
const NOW = Date.now();
const ROOMY = { default: [[1_000_000_000, 1000]] };

/** A client of the simulator's tenant for `vendor`. */
function clientFor(sim, vendor) {
  const common = { allowInsecureLoopback: true, jitterSeed: 1, windows: ROOMY };
  if (vendor === "vsax") {
    const c = sim.line.vsax;
    return Client.vsax({ tenantUrl: c.tenant_url, tokenId: c.token_id, tokenSecret: c.token_secret, ...common });
  }
  const c = sim.line.autotask;
  return Client.autotask({ username: c.username, secret: c.secret, integrationCode: c.integration_code, zoneUrl: c.zone_url, ...common });
}

/** The first page's response, as the server sent it. */
async function firstPage(sim, vendor, resource) {
  let captured;
  const fetching = async (url, init) => {
    const response = await fetch(url, init);
    const body = await response.clone().text();
    if (response.ok && !url.includes("zoneInformation")) captured ??= { headers: [...response.headers], body };
    return response;
  };
  for await (const _ of clientFor(sim, vendor).pages(resource, { fetch: fetching })) break;
  return captured;
}

/** Median over rounds of the mean µs per call of `run` (after `setup`, before `teardown`,
 * neither timed). */
function measure(calls, setup, run, teardown = () => {}) {
  const rounds = [];
  for (let r = 0; r < ROUNDS + 2; r += 1) {
    let total = 0n;
    for (let i = 0; i < calls; i += 1) {
      const state = setup();
      const started = process.hrtime.bigint();
      run(state);
      total += process.hrtime.bigint() - started;
      teardown(state);
    }
    if (r >= 2) rounds.push(Number(total) / calls / 1000); // the first two warm up
  }
  rounds.sort((a, b) => a - b);
  return rounds[rounds.length >> 1];
}

function inFlight(sim, vendor, resource) {
  const client = clientFor(sim, vendor);
  client.startList(resource);
  return { client, id: client.poll(NOW).request.id };
}

function decoded(sim, vendor, resource, page, bytes) {
  const body = bytes ? new TextEncoder().encode(page.body) : page.body;
  return measure(
    vendor === "vsax" ? 300 : 100,
    () => inFlight(sim, vendor, resource),
    ({ client, id }) => {
      client.handleResponse(id, 200, page.headers, body, NOW);
      const { event } = client.poll(NOW);
      if (event.items.length !== event.itemCount) throw new Error("short page");
    },
    ({ client }) => client.free(),
  );
}

function parsed(page, bytes) {
  const body = bytes ? new TextEncoder().encode(page.body) : page.body;
  const decoder = new TextDecoder();
  return measure(300, () => null, () => JSON.parse(bytes ? decoder.decode(body) : body));
}

const sim = await Sim.start();
try {
  await sim.reset({ counts: { "vsax.devices": 100, "autotask.companies": 500 } });
  const results = {};
  const wasm = await readFile(new URL("mspkit_wasm_bg.wasm", PKG));
  results.wasm_bytes = wasm.length;
  results.wasm_gzip_bytes = gzipSync(wasm, { level: 9 }).length;
  for (const [vendor, resource, label] of [["vsax", "devices", "vsax_devices_100"], ["autotask", "Companies", "autotask_companies_500"]]) {
    const page = await firstPage(sim, vendor, resource);
    const items = JSON.parse(page.body)[vendor === "vsax" ? "Data" : "items"].length;
    const text = { mspkit: decoded(sim, vendor, resource, page, false), parse: parsed(page, false) };
    const bytes = { mspkit: decoded(sim, vendor, resource, page, true), parse: parsed(page, true) };
    results[label] = {
      items,
      body_bytes: Buffer.byteLength(page.body),
      text_us: { mspkit: +text.mspkit.toFixed(1), json_parse: +text.parse.toFixed(1), ratio: +(text.mspkit / text.parse).toFixed(2) },
      bytes_us: { mspkit: +bytes.mspkit.toFixed(1), decode_and_parse: +bytes.parse.toFixed(1), ratio: +(bytes.mspkit / bytes.parse).toFixed(2) },
    };
  }
  for (const [vendor, resource] of [["vsax", "devices"], ["autotask", "Companies"]]) {
    results[`${vendor}_request_us`] = +measure(
      1000,
      () => clientFor(sim, vendor),
      (client) => {
        client.startList(resource);
        if (client.poll(NOW).type !== "send") throw new Error("no request");
      },
      (client) => client.free(),
    ).toFixed(2);
  }
  console.log(`wasm: ${results.wasm_bytes} bytes, ${results.wasm_gzip_bytes} gzipped`);
  for (const label of ["vsax_devices_100", "autotask_companies_500"]) {
    const r = results[label];
    console.log(
      `${label} (${r.items} items, ${r.body_bytes} bytes): text body ${r.text_us.mspkit} µs vs JSON.parse ${r.text_us.json_parse} µs = ${r.text_us.ratio}x; ` +
        `bytes body ${r.bytes_us.mspkit} µs vs TextDecoder+JSON.parse ${r.bytes_us.decode_and_parse} µs = ${r.bytes_us.ratio}x`,
    );
  }
  console.log(`request (startList + poll): VSA X ${results.vsax_request_us} µs, Autotask ${results.autotask_request_us} µs`);
  await writeFile(new URL("results.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  await sim.stop();
}
