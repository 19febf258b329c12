// The simulator for a test file: the binary at $MSPKIT_SIM (default
// target/debug/mspkit-sim, built by `cargo build -p mspkit-sim`), started with sentinel
// secrets and stdin piped (it stops when this process ends), reset by each test.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const SENTINEL = "MSPKITSENTINEL";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export class Sim {
  static async start(args = []) {
    const binary = process.env.MSPKIT_SIM ?? `${ROOT}target/debug/mspkit-sim`;
    if (!existsSync(binary)) {
      throw new Error(`no simulator at ${binary}: run \`cargo build -p mspkit-sim\` or set MSPKIT_SIM`);
    }
    const child = spawn(binary, ["--size", "small", "--sentinel", SENTINEL, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the simulator exited (${code}) before its first line`)));
    });
    return new Sim(child, JSON.parse(first));
  }

  constructor(child, line) {
    this.child = child;
    this.line = line;
    this.origin = new URL(line.stats_url).origin;
  }

  async stop() {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    await exited;
  }

  /** Forgets every window, fault and counter; `overrides` as the reset body. */
  async reset(overrides = {}) {
    const response = await fetch(this.line.reset_url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ size: "small", ...overrides }),
    });
    if (!response.ok) throw new Error(`reset: ${response.status} ${await response.text()}`);
  }

  async stats() {
    return (await fetch(this.line.stats_url)).json();
  }

  async records(name) {
    return (await this.stats()).records[name];
  }

  async counter(endpoint, field = "requests") {
    return (await this.stats()).endpoints[endpoint]?.[field] ?? 0;
  }

  async vendorCounter(vendor, field = "requests") {
    return (await this.stats()).vendors[vendor]?.[field] ?? 0;
  }
}

/** Registers the hooks of a test file: one simulator for the file, reset before each
 * test. Returns a getter (the simulator starts in `before`). */
export async function useSim(args = []) {
  const { before, after, beforeEach } = await import("node:test");
  let sim;
  before(async () => {
    sim = await Sim.start(args);
  });
  after(() => sim?.stop());
  beforeEach(() => sim.reset());
  return () => sim;
}
