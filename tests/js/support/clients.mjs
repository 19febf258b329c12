// Clients of every vendor on the simulator with fast retries, and running them.

import { createServer } from "node:net";
import { Client } from "./mspkit.mjs";
import { SENTINEL } from "./sim.mjs";

export const WRONG_SECRET = `wrong-${SENTINEL}-secret`;
export const NONCE = 4_815_162_342;
export const VENDORS = ["vsax", "vsa9_pat", "vsa9_password", "warehouse", "autotask"];

/** Retries in milliseconds, so fault tests stay fast. */
export const FAST_RETRY = { maxAttempts: 4, baseMs: 10, capMs: 100, maxTotalMs: 30_000, rateLimitedFloorMs: 50 };
/** A vendor-wide window that never holds a test up (VSA 9's gentle default would). */
export const ROOMY = { default: [[100_000, 60_000]] };

/** The simulator's name for the API a test vendor uses. */
export const family = (vendor) => (vendor.startsWith("vsa9") ? "vsa9" : vendor);

/** A client of `vendor` on the simulator (or on `url`) with the startup line's
 * credentials (or the limited ones), `secret` replacing the secret. */
export function clientFor(sim, vendor, { secret, limited = false, url, zoneUrl, ...extra } = {}) {
  const options = { allowInsecureLoopback: true, jitterSeed: 7, retry: FAST_RETRY, windows: ROOMY, ...extra };
  const line = sim.line;
  if (vendor === "vsax") {
    const c = line.vsax;
    const creds = limited ? c.limited : c;
    return Client.vsax({
      tenantUrl: url ?? c.tenant_url,
      tokenId: creds.token_id,
      tokenSecret: secret ?? creds.token_secret,
      ...options,
    });
  }
  if (vendor === "vsa9_pat" || vendor === "vsa9_password") {
    const c = line.vsa9;
    const username = limited ? c.limited.username : c.username;
    const token = limited ? c.limited.token : vendor === "vsa9_pat" ? c.token : c.password;
    const auth = vendor === "vsa9_pat" ? { auth: "pat" } : { auth: "password", nonce: NONCE };
    return Client.vsa9({ serverUrl: url ?? c.server_url, username, token: secret ?? token, ...auth, ...options });
  }
  if (vendor === "warehouse") {
    const c = line.vsa9;
    const [username, token] = limited ? [c.limited.username, c.limited.token] : [c.username, c.warehouse_token];
    return Client.vsa9Warehouse({ serverUrl: url ?? c.server_url, username, token: secret ?? token, ...options });
  }
  if (vendor === "autotask") {
    const c = line.autotask;
    const creds = limited ? c.limited : c;
    return Client.autotask({
      username: creds.username,
      secret: secret ?? creds.secret,
      integrationCode: c.integration_code,
      zoneUrl,
      zoneDiscoveryUrl: url ?? c.zone_discovery_url,
      ...options,
    });
  }
  throw new Error(vendor);
}

/** What each vendor lists in the tests, and the simulator's endpoint keys for it. */
export const LISTS = {
  vsax: { resource: "devices", countName: "vsax.devices", count: 250, id: "Identifier", pageSizes: [100, 100, 50], endpoints: ["vsax GET devices"] },
  vsa9: { resource: "assetmgmt/agents", countName: "vsa9.agents", count: 260, id: "AgentId", pageSizes: [100, 100, 60], endpoints: ["vsa9 GET assetmgmt/agents"] },
  warehouse: { resource: "Agents", countName: "vsa9.agents", count: 250, id: "AgentId", pageSize: 40, pageSizes: [40, 40, 40, 40, 40, 40, 10], endpoints: ["warehouse GET Agents"] },
  autotask: {
    resource: "Companies",
    countName: "autotask.companies",
    count: 1234,
    id: "id",
    pageSizes: [500, 500, 234],
    endpoints: ["autotask POST V1.0/Companies/query", "autotask POST V1.0/Companies/query/next"],
  },
};

/** Every page of `resource` (until page `stopAfter`); throws the list's error. */
export async function listPages(client, resource, { stopAfter, timeoutMs = 2000, ...options } = {}) {
  const pages = [];
  for await (const page of client.pages(resource, { timeoutMs, ...options })) {
    pages.push(page);
    if (page.pageNumber === stopAfter) break;
  }
  return pages;
}

export const ids = (pages, field) => pages.flatMap((page) => page.items.map((item) => String(item[field])));

/** A loopback origin with nothing listening (bound, then released). */
export async function deadOrigin() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Every job started on `client`, driven to its end by a host loop of our own over poll
 * (fetch, one request at a time, waiting out each Wait); the events in order. */
export async function driveAll(client, { timeoutMs = 2000 } = {}) {
  const events = [];
  for (let action = client.poll(Date.now()); action !== null; action = client.poll(Date.now())) {
    if (action.type === "send") {
      const { id, method, url, headers, body } = action.request;
      try {
        const response = await fetch(url, { method, headers, body: body ?? undefined, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
        client.handleResponse(id, response.status, response.headers, new Uint8Array(await response.arrayBuffer()), Date.now());
      } catch (error) {
        client.handleTransportError(id, error?.name === "TimeoutError" ? "timeout" : "other", String(error), Date.now());
      }
    } else if (action.type === "wait") {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, action.untilMs - Date.now())));
    } else {
      events.push(action.event);
    }
  }
  return events;
}

/** The error a job ended with (a failed list's, or a failed connection test's), and the
 * requests it made. */
export const jobError = (event) => (event.kind === "connection" ? event.report.error : event.error);
export const jobRequests = (event) => (event.kind === "connection" ? event.report.requestsMade : event.requestsMade);

/** A web server that is not a vendor API, on a loopback `host` (127.0.0.2, ::1 ...):
 * answers 404 and counts the requests that reach it. Resolves to null if `host` cannot
 * be bound here. */
export async function canary(host = "127.0.0.1") {
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    server.hits += 1;
    req.resume();
    res.writeHead(404, { "content-type": "text/html" }).end("<html><body><h1>404</h1></body></html>");
  });
  server.hits = 0;
  try {
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, resolve);
    });
  } catch {
    return null;
  }
  const name = host.includes(":") ? `[${host}]` : host;
  server.authority = `${name}:${server.address().port}`;
  server.origin = `http://${server.authority}`;
  server.stop = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  return server;
}
