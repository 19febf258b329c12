// The failure budget: failures cost as few requests as they can, and never enough to get
// the client's address blocked.
// - A wrong secret: every job on one client (a connection test and a list of every
//   resource the vendor serves, all started at once) ends unauthorized after one API
//   request each; VSA 9's jobs share one failed logon; an Autotask job whose zone was
//   discovered before it started may add one zone re-discovery, never a second API request.
// - A 404 storm: 110 jobs on an organisation that does not exist, against VSA X's
//   documented failed-request limits run 200 times faster on both sides: the simulator's
//   counters show every window's peak below its threshold and no block started.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MspkitError } from "./support/mspkit.mjs";
import { useSim } from "./support/sim.mjs";
import { WRONG_SECRET, clientFor, driveAll, family, jobError, jobRequests } from "./support/clients.mjs";

const sim = await useSim();

const RESOURCES = {
  vsax: ["organizations", "devices", "notifications", "sites", "groups", "assets"],
  vsa9_pat: ["system/orgs", "system/machinegroups", "assetmgmt/agents"],
  vsa9_password: ["system/orgs", "system/machinegroups", "assetmgmt/agents"],
  warehouse: ["Agents", "MachineGroups"],
  autotask: ["Companies", "Contacts", "Tickets", "ConfigurationItems"],
};
const DISCOVERY = "autotask GET V1.0/zoneInformation";
const sum = (values) => values.reduce((a, b) => a + b, 0);

for (const [vendor, resources] of Object.entries(RESOURCES)) {
  test(`${vendor}: a wrong secret costs one request per job`, async () => {
    const client = clientFor(sim(), vendor, { secret: WRONG_SECRET });
    const jobs = [client.startTestConnection(), ...resources.map((r) => client.startList(r))];
    const events = await driveAll(client);

    assert.deepEqual(events.map((e) => e.job).sort((a, b) => a - b), jobs, "one last event per job, no page");
    for (const event of events) {
      const error = jobError(event);
      assert.ok(error instanceof MspkitError, JSON.stringify(event));
      assert.equal(error.code, "unauthorized");
    }
    const stats = await sim().stats();
    const api = family(vendor);
    const perEndpoint = Object.fromEntries(
      Object.entries(stats.endpoints).filter(([k]) => k.startsWith(`${api} `)).map(([k, v]) => [k, v.requests]),
    );
    const made = events.map(jobRequests);
    assert.equal(sum(made), stats.vendors[api].requests, "every request was some job's");
    if (api === "vsa9") {
      // One logon for the client: it fails every job waiting for the session.
      assert.deepEqual(perEndpoint, { "vsa9 GET auth": 1 });
      assert.deepEqual(made.sort(), [...Array(jobs.length - 1).fill(0), 1]);
    } else if (api === "autotask") {
      const calls = Object.entries(perEndpoint).filter(([k]) => k !== DISCOVERY);
      assert.equal(sum(calls.map(([, n]) => n)), jobs.length, JSON.stringify(perEndpoint));
      assert.ok(calls.every(([, n]) => n === 1), JSON.stringify(perEndpoint));
      // A discovery is shared: whichever job sends next performs it (and counts it).
      assert.ok(perEndpoint[DISCOVERY] >= 1 && perEndpoint[DISCOVERY] <= jobs.length, JSON.stringify(perEndpoint));
    } else {
      assert.equal(sum(Object.values(perEndpoint)), jobs.length, JSON.stringify(perEndpoint));
      assert.deepEqual(made, Array(jobs.length).fill(1));
    }
    if (api === "vsax") {
      assert.equal(stats.vsax_failed.failures, jobs.length);
      assert.equal(stats.vsax_failed.blocks_started, 0);
    }
  });
}

const SCALE = 200;
/** VSA X's failed-request thresholds per client address (VENDORS.md): [count, span ms]. */
const DOCUMENTED = [
  [30, 60_000],
  [100, 300_000],
  [300, 3_600_000],
  [1000, 86_400_000],
];

test("a 404 storm never trips VSA X's failed-request block", async () => {
  await sim().reset({ time_scale: SCALE });
  const guard = DOCUMENTED.map(([limit, span]) => [limit, span / SCALE]);
  const client = clientFor(sim(), "vsax", { failureGuard: guard });
  const jobs = Array.from({ length: 110 }, () => client.startList("organizations/999999"));
  const events = await driveAll(client);

  assert.deepEqual(events.map((e) => e.job).sort((a, b) => a - b), jobs);
  for (const event of events) {
    assert.equal(jobError(event)?.code, "not_found", JSON.stringify(event));
    assert.equal(jobRequests(event), 1);
  }
  const stats = await sim().stats();
  const failed = stats.vsax_failed;
  assert.equal(failed.failures, 110);
  assert.equal(failed.blocks_started, 0, JSON.stringify(failed));
  assert.equal(stats.vendors.vsax.blocked, 0);
  assert.equal(stats.vendors.vsax.status_429, 0);
  assert.deepEqual(failed.windows.map((w) => [w.limit, w.span_ms]), guard, "the documented limits, scaled");
  for (const window of failed.windows) assert.ok(window.peak < window.limit, JSON.stringify(failed));
  // The storm pressed against the first threshold: it was one failure short of a block.
  assert.equal(failed.windows[0].peak, 29, JSON.stringify(failed));
});
