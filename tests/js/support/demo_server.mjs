// The demo server (js-demo/server.mjs) for a test: started on an ephemeral port with a
// pipe as stdin (it stops when the test process ends, however it ends), its stderr kept
// for the leak scans, its relay called as the page calls it.

import { spawn } from "node:child_process";
import { request } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { relayFetch } from "../../../js-demo/ui/relay-fetch.js";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const SERVER = `${ROOT}js-demo/server.mjs`;

export class DemoServer {
  /** Starts the server with `args` (e.g. ["--sim-line", JSON.stringify(sim.line)]);
   * `nodeArgs` go to node itself (e.g. ["--import", probe]). */
  static async start(args = [], { nodeArgs = [] } = {}) {
    const child = spawn(process.execPath, [...nodeArgs, SERVER, "--port", "0", ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const server = new DemoServer(child);
    const first = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the demo server exited (${code}): ${server.stderr}`)));
    });
    server.info = JSON.parse(first);
    server.url = server.info.url;
    return server;
  }

  constructor(child) {
    this.child = child;
    this.stderrChunks = [];
    child.stderr.on("data", (chunk) => this.stderrChunks.push(chunk));
  }

  /** Everything the server wrote to stderr so far. */
  get stderr() {
    return Buffer.concat(this.stderrChunks).toString("utf8");
  }

  /** What it wrote to stderr after `mark` (a length of `stderr` taken earlier). */
  stderrSince(mark) {
    return this.stderr.slice(mark);
  }

  /** Resolves once `predicate(stderr)` holds (stderr comes through a pipe, a little
   * after the HTTP answers it logs); rejects after `ms`. */
  async waitForStderr(predicate, ms = 2000) {
    const deadline = Date.now() + ms;
    while (!predicate(this.stderr)) {
      if (Date.now() > deadline) throw new Error(`stderr never matched; it is:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Its relay log lines. */
  get relayLines() {
    return this.stderr.split("\n").filter((line) => line.startsWith("relay "));
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    await exited;
  }

  /** POSTs `body` (an object, or text as is) to /relay; resolves to { status, headers, text, json }. */
  async relay(body, headers = { "Content-Type": "application/json" }) {
    const response = await fetch(`${this.url}relay`, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: the upstream's own body
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** A fetch for mspkit's drivers through this server's relay: the page's own wrapper. */
  relayFetch(vendor) {
    return relayFetch(vendor, `${this.url}relay`);
  }

  /**
   * A GET with the path sent exactly as given (fetch would resolve `..` first), and
   * optional extra headers; resolves to { status, body }.
   */
  raw(path, headers = {}) {
    const { hostname, port } = new URL(this.url);
    return new Promise((resolve, reject) => {
      const req = request({ hostname, port, path, method: "GET", headers }, (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.once("error", reject);
      req.end();
    });
  }
}
