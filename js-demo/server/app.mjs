// The demo server's routes: the page and the package (static.mjs), GET /config (what the
// page needs to know about this server, and the simulator's tenants in simulator mode),
// and POST /relay (relay.mjs). Every request must come to this server's own address.

import { createServer } from "node:http";
import { foreignRequest, ownHosts, sendError, sendJson } from "./http.mjs";
import { createRelay } from "./relay.mjs";
import { serveStatic } from "./static.mjs";
import { simulatorOrigin, simulatorTenants } from "../lib/simulator.mjs";

const NOT_FOUND = {
  status: 404,
  code: "not_found",
  message: "No such page",
  remediation: "The demo serves /, its scripts, /pkg/ (the mspkit package), /config and /relay.",
};

/**
 * An http.Server for the demo. `simulatorLine`: the simulator's startup line (simulator
 * mode) or null; `allowHosts`: extra relay hosts; `host`: the address it listens on;
 * `log`: one line per relayed request.
 */
export function createDemoServer({ mspkit, simulatorLine = null, allowHosts = [], host = "127.0.0.1", log }) {
  const relay = createRelay({
    mspkit,
    allowHosts,
    simulatorOrigin: simulatorLine ? simulatorOrigin(simulatorLine) : null,
    log,
  });
  const config = simulatorLine
    ? { simulator: true, tenants: simulatorTenants(simulatorLine) }
    : { simulator: false, allowHosts };
  let hosts = null; // known once it listens (the port may be ephemeral)

  const server = createServer(async (req, res) => {
    try {
      hosts ??= ownHosts(host, server.address().port);
      const foreign = foreignRequest(req, hosts);
      if (foreign) {
        return sendError(res, {
          status: 403,
          code: "forbidden",
          message: `Refused: ${foreign}`,
          remediation: "Open the demo at the URL the server printed.",
        });
      }
      const pathname = (req.url ?? "/").split("?")[0];
      if (pathname === "/relay") {
        if (req.method === "POST") return await relay(req, res);
        return sendError(res, { ...NOT_FOUND, status: 405, message: "/relay takes POST" }, { Allow: "POST" });
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        return sendError(res, { ...NOT_FOUND, status: 405, message: `${req.method} is not served` }, { Allow: "GET, HEAD" });
      }
      if (pathname === "/config") return sendJson(res, 200, config);
      if (!(await serveStatic(req, res, pathname))) sendError(res, NOT_FOUND);
    } catch (error) {
      if (!res.headersSent) {
        sendError(res, { status: 500, code: "transport", message: `Server error: ${error.message}`, remediation: "" });
      } else res.destroy();
    }
  });
  return server;
}
