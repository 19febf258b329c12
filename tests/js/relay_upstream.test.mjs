// How the relay sends (js-demo/server/upstream.mjs), against local servers: redirects
// come back as they are and are never followed, a host name is refused when it resolves
// to an address the core does not allow (DNS rebinding), and timeouts and oversized
// answers end as transport errors.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { relayAddressAllowed } from "./support/mspkit.mjs";
import { sendUpstream } from "../../js-demo/server/upstream.mjs";

const hits = new Map();
let server;
let origin;

before(async () => {
  server = createServer((req, res) => {
    hits.set(req.url, (hits.get(req.url) ?? 0) + 1);
    if (req.url === "/redirect") {
      res.writeHead(302, { Location: "/elsewhere", "Set-Cookie": "a=b" }).end();
    } else if (req.url === "/slow") {
      setTimeout(() => res.end("late"), 2000).unref();
    } else if (req.url === "/big") {
      res.end("x".repeat(5000));
    } else {
      res.writeHead(200, { "Content-Type": "application/json", "X-Internal": "1", "Retry-After": "3" }).end('{"ok":true}');
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const target = (url) => ({ method: "GET", url, headers: { Accept: "application/json" } });
const simulatorPolicy = (ip) => relayAddressAllowed(ip, { simulator: true });
const tenantPolicy = (ip) => relayAddressAllowed(ip, { simulator: false });
const send = (url, options = {}) =>
  sendUpstream(target(url), null, { isAddressAllowed: simulatorPolicy, timeoutMs: 5000, maxBytes: 1 << 20, ...options });

test("an answer comes back with only the headers mspkit reads", async () => {
  const answer = await send(`${origin}/ok`);
  assert.equal(answer.status, 200);
  assert.equal(answer.body.toString(), '{"ok":true}');
  assert.deepEqual(Object.keys(answer.headers).sort(), ["content-type", "date", "retry-after"]);
});

test("a redirect is handed back as it is, without its Location, and not followed", async () => {
  const answer = await send(`${origin}/redirect`);
  assert.equal(answer.status, 302);
  assert.equal(answer.headers.location, undefined);
  assert.equal(answer.headers["set-cookie"], undefined);
  assert.equal(hits.get("/elsewhere"), undefined);
});

test("a host name that resolves to loopback is refused outside simulator mode; nothing is sent", async () => {
  const before = hits.get("/ok") ?? 0;
  const url = `http://localhost:${server.address().port}/ok`;
  await assert.rejects(send(url, { isAddressAllowed: tenantPolicy }), (error) => {
    assert.equal(error.status, 403);
    assert.equal(error.code, "unsafe_link");
    assert.match(error.message, /localhost: it resolves to/);
    return true;
  });
  assert.equal(hits.get("/ok") ?? 0, before);
});

test("a tenant slower than the timeout: 504 transport", async () => {
  await assert.rejects(send(`${origin}/slow`, { timeoutMs: 200 }), (error) => error.status === 504 && error.code === "transport");
});

test("an answer over the size limit: 502 transport", async () => {
  await assert.rejects(send(`${origin}/big`, { maxBytes: 1000 }), (error) => error.status === 502 && /more than 1000 bytes/.test(error.message));
});

test("nobody listening: 502 transport naming the place", async () => {
  const dead = createServer();
  await new Promise((resolve) => dead.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${dead.address().port}/x`;
  await new Promise((resolve) => dead.close(resolve));
  await assert.rejects(send(url), (error) => error.status === 502 && error.message.includes(new URL(url).host));
});
