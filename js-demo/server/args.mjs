// The demo server's command line.

import { integerOption, parseOptions, UsageError } from "../lib/options.mjs";

export { UsageError };

export const USAGE = `Usage: node js-demo/server.mjs [options]

Serves the mspkit demo page and relays the page's API requests to tenants, only those
mspkit's relay check accepts. Prints one JSON line {"url": ...} on stdout when listening.

Options:
  --port N             port to listen on (default 0: any free port)
  --host ADDRESS       address to listen on (default 127.0.0.1: this machine only)
  --simulator PATH     start the tenant simulator at PATH (e.g. target/debug/mspkit-sim)
                       and run in simulator mode: the relay forwards to it over http,
                       and GET /config gives the page its tenants
  --sim-args "ARGS"    arguments for that simulator (default "--size realistic")
  --sim-line JSON      simulator mode with a simulator already running: its startup line
  --allow-host HOST    also relay to HOST ("vsa.example.com") or its subdomains
                       (".example.com"), e.g. an on-premises VSA 9 (repeatable)
  --ignore-stdin       keep running when stdin closes (by default it stops then, so a
                       test or script that started it cannot leave it behind)
  --help               this text

Stops on SIGTERM, Ctrl-C, or end of stdin.`;

const OPTIONS = {
  port: { type: "string", default: "0" },
  host: { type: "string", default: "127.0.0.1" },
  simulator: { type: "string" },
  "sim-args": { type: "string", default: "--size realistic" },
  "sim-line": { type: "string" },
  "allow-host": { type: "string", multiple: true, default: [] },
  "ignore-stdin": { type: "boolean", default: false },
  help: { type: "boolean", default: false },
};

/** The options from `argv`; throws UsageError naming the problem. */
export function parseServerArgs(argv) {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = integerOption("port", values.port, 0, 65535);
  if (values.simulator && values["sim-line"]) {
    throw new UsageError("--simulator starts a simulator, --sim-line names a running one: pass one of them");
  }
  return {
    help: values.help,
    port,
    host: values.host,
    simulator: values.simulator ?? null,
    simArgs: values["sim-args"].split(/\s+/).filter(Boolean),
    simLine: values["sim-line"] ?? null,
    allowHosts: values["allow-host"],
    ignoreStdin: values["ignore-stdin"],
  };
}
