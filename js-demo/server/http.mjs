// Small HTTP helpers of the demo server: JSON answers, bounded request bodies, and the
// checks that keep other web pages from using the server through a visitor's browser.

/** Sent with every answer: the page loads only its own scripts and the wasm module, and
 * talks to its own server, to https tenants, and to a simulator on loopback (CSP has no
 * way to name an IPv6 literal, so a simulator at [::1] is reached through the relay). */
export const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self' https: http://127.0.0.1:* http://localhost:*; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** An error with the HTTP status and the mspkit-style fields to answer it with. */
export class HttpError extends Error {
  constructor(status, code, message, remediation) {
    super(message);
    this.status = status;
    this.code = code;
    this.remediation = remediation;
  }
}

export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Answers `{ error: { code, message, remediation } }`, the shape of MspkitError's fields. */
export function sendError(res, { status, code, message, remediation }, headers = {}) {
  sendJson(res, status, { error: { code, message, remediation } }, headers);
}

/** The request body as text; a body over `limit` bytes is refused with 413 as soon as
 * it is known to be too long (from Content-Length, or while it streams in). */
export async function readBody(req, limit) {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(limit) {
  return new HttpError(
    413,
    "invalid_config",
    `The relay body is larger than ${limit} bytes`,
    "Relay requests are single API calls built by mspkit; nothing that large is ever needed.",
  );
}

/**
 * The origins this server is reached at. A Host header naming anything else means a
 * page on another site resolved its own name to this address (DNS rebinding) and must
 * not read /config or use /relay.
 */
export function ownHosts(host, port) {
  const names = new Set([host, "127.0.0.1", "localhost", "[::1]"]);
  if (host.includes(":") && !host.startsWith("[")) names.add(`[${host}]`);
  return new Set([...names].map((name) => `${name}:${port}`.toLowerCase()));
}

/** Null when `req` comes from this server's own page, else the reason to refuse it. */
export function foreignRequest(req, hosts) {
  const host = (req.headers.host ?? "").toLowerCase();
  if (!hosts.has(host)) {
    return `the Host header \`${host.slice(0, 80)}\` is not this server's address`;
  }
  // Browsers send Origin with every POST; a page of another origin must not relay.
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    return `the request came from the page at ${String(origin).slice(0, 80)}, not from this server's page`;
  }
  return null;
}
