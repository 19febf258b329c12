// Sends one checked request to the tenant. node:http(s) rather than fetch, for one
// reason: the connection must go to the address that was checked. A host name the core
// allowed may resolve to a private or metadata address (DNS rebinding, or a hostile DNS
// entry); the lookup hook below checks every address with the core's relayAddressAllowed
// and the socket connects to exactly those, so no second lookup can differ. Redirects are
// never followed (node:http does not follow them); the page gets the 3xx as it came.

import { lookup as dnsLookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { HttpError } from "./http.mjs";

/** The response headers mspkit reads; no other upstream header reaches the page. */
export const FORWARDED_RESPONSE_HEADERS = ["content-type", "retry-after", "date", "preference-applied"];

const DECODERS = { gzip: createGunzip, "x-gzip": createGunzip, deflate: createInflate, br: createBrotliDecompress };

/** A dns.lookup that refuses the host when any of its addresses is not allowed. */
function checkedLookup(isAllowed) {
  return (hostname, options, callback) => {
    if (typeof options === "function") [callback, options] = [options, {}];
    if (typeof options === "number") options = { family: options };
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const refused = addresses.find(({ address }) => !isAllowed(address));
      if (refused) {
        const problem = new Error(
          `The relay refused ${hostname}: it resolves to ${refused.address}, an address inside ` +
            "a private, loopback or link-local network",
        );
        problem.code = "MSPKIT_UNSAFE_ADDRESS";
        return callback(problem);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * Sends `target` ({ method, url, headers } from checkRelayRequest) with `body` and
 * resolves to { status, headers, body: Buffer } with only the forwarded headers.
 * Rejects with an HttpError: 403 unsafe_link for a refused address, 504 for a timeout,
 * 502 for anything else (connection refused, TLS, an answer over `maxBytes`).
 */
export function sendUpstream(target, body, { isAddressAllowed, timeoutMs, maxBytes, signal }) {
  const url = new URL(target.url);
  const transport = url.protocol === "https:" ? https : http;
  const headers = { ...target.headers };
  if (body != null) headers["Content-Length"] = String(Buffer.byteLength(body));

  return new Promise((resolve, reject) => {
    let timedOut = false;
    const request = transport.request(url, {
      method: target.method,
      headers,
      lookup: checkedLookup(isAddressAllowed),
      signal,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new Error("timeout"));
    }, timeoutMs);
    const fail = (error) => {
      clearTimeout(timer);
      reject(asHttpError(error, url, timedOut, timeoutMs));
    };
    request.once("error", fail);
    request.once("response", (response) => {
      const encoding = String(response.headers["content-encoding"] ?? "").toLowerCase();
      const stream = DECODERS[encoding] ? response.pipe(DECODERS[encoding]()) : response;
      const chunks = [];
      let size = 0;
      let tooBig = false;
      stream.on("data", (chunk) => {
        if (tooBig) return;
        size += chunk.length;
        if (size > maxBytes) {
          tooBig = true;
          const problem = `${url.protocol}//${url.host} answered with more than ${maxBytes} bytes`;
          fail(new HttpError(502, "transport", problem, "Ask for smaller pages (pageSize)."));
          response.destroy();
          if (stream !== response) stream.destroy();
          return;
        }
        chunks.push(chunk);
      });
      stream.once("error", fail);
      response.once("error", fail);
      stream.once("end", () => {
        if (tooBig) return;
        clearTimeout(timer);
        const forwarded = {};
        for (const name of FORWARDED_RESPONSE_HEADERS) {
          if (response.headers[name] !== undefined) forwarded[name] = response.headers[name];
        }
        resolve({ status: response.statusCode, headers: forwarded, body: Buffer.concat(chunks) });
      });
    });
    request.end(body ?? undefined);
  });
}

function asHttpError(error, url, timedOut, timeoutMs) {
  if (error instanceof HttpError) return error;
  const place = `${url.protocol}//${url.host}`;
  if (error?.code === "MSPKIT_UNSAFE_ADDRESS") {
    return new HttpError(
      403,
      "unsafe_link",
      error.message,
      "Nothing was sent. Tenants are on the public internet; a host name that points inside " +
        "this network is not relayed.",
    );
  }
  if (timedOut) {
    return new HttpError(
      504,
      "transport",
      `${place} did not answer within ${timeoutMs / 1000} s`,
      "Try again; if it keeps happening, check that the tenant URL is right and the server is up.",
    );
  }
  const code = error?.code ? ` (${error.code})` : "";
  return new HttpError(
    502,
    "transport",
    `The relay could not reach ${place}: ${error?.message ?? error}${code}`,
    "Check the tenant URL and that this machine can reach it (DNS, firewall, proxy).",
  );
}
