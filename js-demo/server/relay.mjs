// POST /relay: forwards one request the page's mspkit client built, and only when the
// core's checkRelayRequest accepts it. Without that check this endpoint would be an open
// proxy: anyone reaching it could make this machine fetch its cloud metadata service,
// its LAN, or any site with its address. The answer carries the upstream status, body
// and the few headers mspkit reads; the relay's own refusals and failures are marked
// with X-Mspkit-Relay so the page can tell them from the tenant's answers.

import { HttpError, readBody, sendError, SECURITY_HEADERS } from "./http.mjs";
import { sendUpstream } from "./upstream.mjs";

export const RELAY_MARK = "X-Mspkit-Relay";
const BODY_LIMIT = 1024 * 1024;
const ANSWER_LIMIT = 64 * 1024 * 1024;
const TIMEOUT_MS = 25_000; // below the page driver's 30 s, so the page hears why

/**
 * The relay handler. `mspkit` is the package's Node entry (checkRelayRequest,
 * relayAddressAllowed); `simulatorOrigin` is the one loopback origin forwarded to in
 * simulator mode (null outside it); `log` takes one line per relayed request.
 */
export function createRelay({ mspkit, allowHosts = [], simulatorOrigin = null, log }) {
  const policy = { simulator: simulatorOrigin !== null, allowHosts };
  const isAddressAllowed = (ip) => mspkit.relayAddressAllowed(ip, policy);

  return async function relay(req, res) {
    const started = Date.now();
    let request = null;
    try {
      request = await readRelayRequest(req);
      const target = checked(mspkit, request, policy, simulatorOrigin);
      const abort = new AbortController();
      res.once("close", () => res.writableFinished || abort.abort());
      const body = target.method === "POST" ? (request.body ?? null) : null;
      const answer = await sendUpstream(target, body, {
        isAddressAllowed,
        timeoutMs: TIMEOUT_MS,
        maxBytes: ANSWER_LIMIT,
        signal: abort.signal,
      });
      log(describe(request, `${answer.status}`, started));
      sendAnswer(res, answer);
    } catch (error) {
      const problem = asHttpError(error);
      if (!res.headersSent) {
        // 4xx: refused, nothing sent. 5xx: the tenant could not be reached.
        sendError(res, problem, { [RELAY_MARK]: problem.status < 500 ? "refused" : "failed" });
      }
      log(describe(request, `${problem.status} ${problem.code}`, started));
    }
  };
}

/** The relay body, parsed: `{ vendor, method, url, headers, body? }`. */
async function readRelayRequest(req) {
  const type = String(req.headers["content-type"] ?? "");
  if (!/^application\/json\b/i.test(type)) {
    // Also what stops a form on another site posting here without a CORS preflight.
    throw new HttpError(415, "invalid_config", "The relay takes a JSON body", "Send Content-Type: application/json.");
  }
  const text = await readBody(req, BODY_LIMIT);
  let request;
  try {
    request = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, "invalid_config", `The relay body is not JSON (${error.message})`, RELAY_SHAPE);
  }
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    throw new HttpError(400, "invalid_config", "The relay body is not a JSON object", RELAY_SHAPE);
  }
  return request;
}

const RELAY_SHAPE = 'Send { "vendor", "method", "url", "headers", "body" } as the page\'s mspkit client built it.';

/** The core's verdict, plus one rule of this server: in simulator mode the only loopback
 * target is the simulator itself, not any other local service. */
function checked(mspkit, request, policy, simulatorOrigin) {
  const target = mspkit.checkRelayRequest(request, policy);
  const url = new URL(target.url);
  if (simulatorOrigin !== null && isLoopbackHost(url.hostname) && url.origin !== simulatorOrigin) {
    throw new HttpError(
      403,
      "unsafe_link",
      `The relay refused ${url.origin}: in simulator mode the only loopback target is the simulator at ${simulatorOrigin}`,
      "Nothing was sent. Use the simulator's URLs (the page's \"Fill simulator tenant\" button).",
    );
  }
  return target;
}

const isLoopbackHost = (hostname) =>
  hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);

function sendAnswer(res, { status, headers, body }) {
  // No Date of our own: the core reads Retry-After against the tenant's clock.
  if (!("date" in headers)) res.sendDate = false;
  const empty = status === 204 || status === 304;
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, ...(empty ? {} : { "Content-Length": body.length }) });
  res.end(empty ? undefined : body);
}

/** MspkitError (refused: 403, malformed: 400) or HttpError as an HttpError. */
function asHttpError(error) {
  if (error instanceof HttpError) return error;
  if (error?.name === "MspkitError") {
    const status = error.code === "unsafe_link" ? 403 : 400;
    return new HttpError(status, error.code, error.message, error.remediation);
  }
  return new HttpError(500, "transport", `The relay failed: ${error?.message ?? error}`, "This is a bug of the demo server.");
}

/**
 * One log line: method, vendor, host and path, and the outcome. Never headers, the query
 * string or the body: they carry credentials and filters.
 */
function describe(request, outcome, started) {
  const clean = (value, max) => String(value ?? "?").replace(/[^\x21-\x7e]/g, "?").slice(0, max);
  let where = "(unreadable URL)";
  try {
    const url = new URL(String(request?.url));
    where = `${clean(url.host, 100)}${clean(url.pathname, 120)}`;
  } catch {
    // keep the placeholder: a URL that does not parse is not echoed
  }
  const method = clean(request?.method, 10);
  const vendor = clean(request?.vendor, 20);
  return `relay ${method} ${vendor} ${where} -> ${outcome} (${Date.now() - started} ms)`;
}
