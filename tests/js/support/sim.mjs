// The simulator for a test file: the binary at $MSPKIT_SIM (default
// target/debug/mspkit-sim, built by `cargo build -p mspkit-sim`), started with sentinel
// secrets and stdin piped (it stops when this process ends), reset by each test. Its
// stderr (with `--log`, one line per request) is kept in `sim.log`; the file's console
// output is kept too (and still printed), and the file's last hook checks the sentinel
// appeared in neither.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { inspect } from "node:util";
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
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Kept for the scan; passed on too unless it is the request log.
    const quiet = args.includes("--log");
    let log = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (!quiet) process.stderr.write(chunk);
    });
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the simulator exited (${code}) before its first line`)));
    });
    return new Sim(child, JSON.parse(first), () => log);
  }

  constructor(child, line, log = () => "") {
    this.child = child;
    this.line = line;
    this.origin = new URL(line.stats_url).origin;
    this.readLog = log;
  }

  /** What the simulator wrote on stderr so far. */
  get log() {
    return this.readLog();
  }

  async stop() {
    // "close": exited, and its stdout and stderr are read to the end.
    const exited = new Promise((resolve) => this.child.once("close", resolve));
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
  const restoreConsole = teeConsole();
  before(async () => {
    sim = await Sim.start(args);
  });
  after(async () => {
    await sim?.stop();
    const printed = restoreConsole();
    for (const [what, text] of [["the simulator's stderr", sim?.log ?? ""], ["the console output", printed]]) {
      const line = text.split("\n").find((l) => l.includes(SENTINEL));
      if (line !== undefined) throw new Error(`the sentinel appeared in ${what}: ${JSON.stringify(line.slice(0, 300))}`);
    }
  });
  beforeEach(() => sim.reset());
  return () => sim;
}

/** Keeps a copy of everything the console prints (and process warnings) from now on;
 * the returned function stops that and returns the text. */
function teeConsole() {
  const methods = ["log", "info", "warn", "error", "debug", "trace"];
  const saved = methods.map((m) => console[m]);
  let printed = "";
  const onWarning = (w) => (printed += `${w.stack ?? w}\n`);
  methods.forEach((m, i) => {
    console[m] = (...values) => {
      printed += `${values.map((v) => (typeof v === "string" ? v : inspect(v, { depth: 8 }))).join(" ")}\n`;
      saved[i].apply(console, values);
    };
  });
  process.on("warning", onWarning);
  return () => {
    methods.forEach((m, i) => (console[m] = saved[i]));
    process.off("warning", onWarning);
    return printed;
  };
}
