// The host drivers: a short loop over poll. Send → fetch → handleResponse (or
// handleTransportError); Wait → a timer; Event → the caller. Every decision is the core's.

import { configError } from "./errors.js";

const DEFAULT_TIMEOUT_MS = 30_000;

/** Requests in flight and events for other jobs, shared by the drivers of one client. */
const hosts = new WeakMap();

function hostOf(client) {
  let host = hosts.get(client);
  if (!host) hosts.set(client, (host = { inFlight: new Set(), mail: new Map(), failure: null }));
  return host;
}

/** The transport error kind of a failed fetch (Node's undici names the cause; browsers
 * say only "Failed to fetch", most often a refused connection or a CORS refusal). */
function transportKind(error) {
  const code = String(error?.cause?.code ?? error?.code ?? "");
  if (code === "") return "connect";
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) {
    return "connect";
  }
  if (/CERT|TLS|SSL|SELF_SIGNED/.test(code)) return "connect";
  return "other";
}

function describe(error) {
  const code = error?.cause?.code ?? error?.code;
  const cause = error?.cause?.message;
  return [error?.message ?? String(error), cause, code].filter(Boolean).join(": ");
}

async function exchange(client, request, fetch, timeoutMs) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let response, body;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: abort.signal,
    });
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    const kind = abort.signal.aborted ? "timeout" : transportKind(error);
    client.handleTransportError(request.id, kind, describe(error), Date.now());
    return;
  } finally {
    clearTimeout(timer);
  }
  client.handleResponse(request.id, response.status, response.headers, body, Date.now());
}

function send(client, host, request, fetch, timeoutMs) {
  client.requestsSent += 1;
  const done = exchange(client, request, fetch, timeoutMs)
    .catch((error) => {
      host.failure ??= error;
    })
    .finally(() => host.inFlight.delete(done));
  host.inFlight.add(done);
}

/** Until `untilMs`, or until a response in flight arrives (it may change the plan). */
async function pause(client, host, untilMs) {
  const started = Date.now();
  let timer;
  const due = new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, untilMs - started))));
  await Promise.race([due, ...host.inFlight]);
  clearTimeout(timer);
  client.waitMs += Date.now() - started;
}

/** The events of `job`, in order, until its last one. */
async function* eventsOf(client, job, options = {}) {
  const fetch = options.fetch ?? globalThis.fetch;
  if (typeof fetch !== "function") {
    throw configError("No fetch function", "Pass { fetch } (Node >= 18 and browsers have globalThis.fetch).");
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const host = hostOf(client);
  let last = false;
  try {
    while (!last) {
      if (host.failure) throw host.failure;
      const queued = host.mail.get(job);
      const action = queued?.length ? { type: "event", event: queued.shift() } : client.poll(Date.now());
      if (action === null) {
        if (host.inFlight.size === 0) throw new Error(`mspkit: the client went idle before job ${job} ended`);
        await Promise.race(host.inFlight);
      } else if (action.type === "send") {
        send(client, host, action.request, fetch, timeoutMs);
      } else if (action.type === "wait") {
        await pause(client, host, action.untilMs);
      } else if (action.event.job !== job) {
        // Another driver's job: kept for it.
        host.mail.set(action.event.job, [...(host.mail.get(action.event.job) ?? []), action.event]);
      } else {
        last = action.event.kind !== "page";
        yield action.event;
      }
    }
  } finally {
    host.mail.delete(job);
    // Left early (break, an exception): the job must send nothing more.
    if (!last) client.cancel(job);
  }
}

/** Runs a connection test; resolves to its report (failures are in report.ok/error). */
export async function testConnection(client, options) {
  const job = client.startTestConnection();
  for await (const event of eventsOf(client, job, options)) {
    if (event.kind === "connection") return event.report;
  }
  throw new Error("mspkit: the connection test ended without a report");
}

/** Lists `resource` page by page; throws the job's MspkitError if it fails. */
export async function* pages(client, resource, options = {}) {
  const { fetch, timeoutMs, ...list } = options;
  const job = client.startList(resource, list);
  for await (const event of eventsOf(client, job, { fetch, timeoutMs })) {
    if (event.kind === "page") yield event;
    else if (event.kind === "failed") throw event.error;
  }
}

