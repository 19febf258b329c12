// The sentinel scan the suites share. Every secret of the simulator contains SENTINEL (and
// so does every wrong secret the tests use): whatever a scenario throws, logs, exports or
// shows when inspected is collected by a Capture and must not contain it. The simulator's
// own stderr is collected by Sim (support/sim.mjs) and scanned when its file ends.

import assert from "node:assert/strict";
import { inspect } from "node:util";
import { MspkitError } from "./mspkit.mjs";
import { SENTINEL } from "./sim.mjs";

/** The texts that contain the sentinel. */
export const leaksIn = (texts) => texts.filter((t) => t.includes(SENTINEL));

export function assertNoSentinel(texts, what = "the captured output") {
  const found = leaksIn(texts);
  assert.equal(found.length, 0, `the sentinel appeared in ${what}: ${JSON.stringify(found.slice(0, 3)).slice(0, 2000)}`);
}

export class Capture {
  texts = [];

  add(...values) {
    for (const v of values) this.texts.push(typeof v === "string" ? v : `${JSON.stringify(v)}\n${inspect(v, { depth: 8 })}`);
  }

  error(error) {
    this.add(String(error), error?.stack ?? "", error);
    if (error instanceof MspkitError) this.add(error.message, error.remediation, error.vendorMessage ?? "");
  }

  /** An action, without the request headers (the credentials the host must send). */
  action(action) {
    if (action.type === "send") {
      const { headers, ...request } = action.request;
      this.add(request, headers.map(([name]) => name));
    } else {
      this.add(action);
      if (action.type === "event") this.event(action.event);
    }
  }

  /** An event; a page's records too unless `items` is false. */
  event(event, { items = true } = {}) {
    if (event.kind === "page" && !items) {
      const { items: _, ...rest } = event;
      this.add(rest);
    } else {
      this.add(event);
    }
    if (event.error) this.error(event.error);
    if (event.report?.error) this.error(event.report.error);
  }

  /** The client object, its base URL and its exported state. */
  client(client) {
    this.add(client, client.baseUrl ?? "", client.vendor, client.exportState());
  }

  /** A fetch that records what it is asked to send (not the headers) and its failures;
   * `.sent` lists the URLs in order. */
  fetch() {
    const sent = [];
    const recording = async (url, init) => {
      sent.push(url);
      this.add(url, init.method, init.body ?? "");
      try {
        return await fetch(url, init);
      } catch (error) {
        this.error(error);
        throw error;
      }
    };
    recording.sent = sent;
    return recording;
  }

  /** Console output and process warnings while `run` runs. */
  async console(run) {
    const methods = ["log", "info", "warn", "error", "debug", "trace"];
    const saved = methods.map((m) => console[m]);
    const onWarning = (w) => this.add(String(w), w.stack ?? "");
    methods.forEach((m) => (console[m] = (...args) => this.add(args.map((a) => inspect(a)).join(" "))));
    process.on("warning", onWarning);
    try {
      return await run();
    } finally {
      methods.forEach((m, i) => (console[m] = saved[i]));
      process.off("warning", onWarning);
    }
  }

  /** No sentinel in what was captured (nor in `more`), and something was captured. */
  assertClean(more = [], { atLeast = 1 } = {}) {
    assert.ok(this.texts.length >= atLeast, `only ${this.texts.length} texts captured`);
    assertNoSentinel([...this.texts, ...more]);
  }
}
