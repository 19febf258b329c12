// The "via demo server relay" route: a fetch for mspkit's drivers that wraps each
// request the core built into POST /relay. Tenants send no CORS headers, so a page
// cannot call them itself; the demo server can, for exactly the requests its relay
// check accepts.
//
// The server marks its own answers with X-Mspkit-Relay. "refused" (a 4xx: the check said
// no, nothing was sent) goes back to the core as it is, so the job ends after that one
// request instead of retrying, and is remembered so the page can show the relay's reason
// rather than a generic "forbidden". "failed" (the tenant could not be reached) becomes a
// network error, which the core treats as such (and retries reads).

const MARK = "X-Mspkit-Relay";

/** A fetch for `vendor` (the core's vendor id) through `endpoint`. Its `refusal()`
 * returns the relay's last refusal ({ code, message, remediation }) or null. */
export function relayFetch(vendor, endpoint = "/relay") {
  let refusal = null;

  async function fetchViaRelay(url, init) {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        vendor,
        method: init.method,
        url,
        headers: Object.fromEntries(init.headers),
        body: init.body ?? null,
      }),
      signal: init.signal,
      // The relay never forwards a Location header; should anything redirect, hand it over.
      redirect: "manual",
      cache: "no-store",
    });
    const mark = response.headers.get(MARK);
    if (mark === null) return response;
    const problem = (await response.clone().json().catch(() => null))?.error ?? {
      code: "transport",
      message: `The demo server answered ${response.status}`,
      remediation: "Check the demo server's output.",
    };
    if (mark === "refused") {
      refusal = problem;
      return response;
    }
    throw new Error(`${problem.message} (via the demo server's relay)`);
  }

  fetchViaRelay.refusal = () => refusal;
  return fetchViaRelay;
}
