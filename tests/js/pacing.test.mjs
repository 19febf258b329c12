// Pacing against lowered limits: told the window, the client keeps to it and the
// simulator answers no 429; the driver waits when the core says Wait.

import assert from "node:assert/strict";
import { test } from "node:test";
import { useSim } from "./support/sim.mjs";
import { assertExactlyOnce } from "./support/assertions.mjs";
import { clientFor, family, ids, listPages } from "./support/clients.mjs";

const sim = await useSim();

// vendor, the simulator's limits, the client's window, resource, count name, count, page size, requests, id
const CASES = [
  ["vsax", { "vsax.default": "20/2s" }, [20, 2000], "devices", "vsax.devices", 150, 5, 30, "Identifier"],
  ["vsa9_pat", { "vsa9.default": "10/1s" }, [10, 1000], "assetmgmt/agents", "vsa9.agents", 60, 5, 13, "AgentId"],
  ["warehouse", { "warehouse.default": "10/1s" }, [10, 1000], "Agents", "vsa9.agents", 60, 5, 12, "AgentId"],
  // The tenant threshold is shared: the client takes its share (20 of 40 per 2 s).
  ["autotask", { "autotask.hourly": "40/2s" }, [20, 2000], "Companies", "autotask.companies", 250, 10, 27, "id"],
];

for (const [vendor, limits, window, resource, countName, count, pageSize, requests, id] of CASES) {
  test(`${vendor}: lowered limits get no 429`, async () => {
    await sim().reset({ counts: { [countName]: count }, limits });
    const client = clientFor(sim(), vendor, { windows: { default: [window] } });
    const started = Date.now();
    const pages = await listPages(client, resource, { pageSize, timeoutMs: 5000 });
    const elapsed = Date.now() - started;
    assertExactlyOnce(ids(pages, id), count);
    const stats = await sim().stats();
    const api = stats.vendors[family(vendor)];
    assert.equal(api.status_429, 0);
    assert.equal(api.requests, requests);
    assert.equal(client.requestsSent, requests);
    const [limit, perMs] = window;
    // More requests than one window holds: the client waited, and counted it.
    assert.ok(elapsed >= perMs * Math.floor((requests - 1) / limit) * 0.9, `${elapsed} ms`);
    assert.ok(client.waitMs > 0.5 * perMs, `${client.waitMs} ms waited`);
    for (const name of Object.keys(limits)) {
      for (const w of stats.limits[name].windows) assert.ok(w.peak <= limit, JSON.stringify(stats.limits[name]));
    }
  });
}
