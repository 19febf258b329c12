// The fault matrix: every vendor's list of 10,000 records synced through every kind of
// fault, firing again and again through the sync, ends with every record exactly once.
//
// Vendors: VSA X devices (past 5,000 the pages chain through NextQueryLink), VSA 9 agents,
// Data Warehouse agents (@odata.nextLink), Autotask companies with next-page links and
// with keyset paging. Faults: bursts of consecutive 5xx, HTML error pages from a proxy,
// 429 with Retry-After in seconds and as an HTTP date, truncated JSON, a connection closed
// short of its Content-Length, answers slower than the fetch timeout, connection resets.
//
// Each cell checks the ids against a fault-free sync of the same data and the simulator's
// record count, that each fault fired as planned and cost exactly one more request, and
// that nothing it logged, threw, exported or sent (nor the simulator's log) names a secret.

import assert from "node:assert/strict";
import { test } from "node:test";
import { useSim } from "./support/sim.mjs";
import { assertExactlyOnce } from "./support/assertions.mjs";
import { Capture } from "./support/capture.mjs";
import { clientFor, family } from "./support/clients.mjs";
import { scheduledRules, settledStats } from "./support/faults.mjs";

const sim = await useSim(["--log"]);

const RECORDS = 10_000;
const PAGE_SIZE = 100;
/** Milliseconds fetch waits in the slow cells; the slow answers take 1 s. */
const SLOW_TIMEOUT_MS = 500;

const VENDORS = {
  vsax: { client: "vsax", resource: "devices", countName: "vsax.devices", id: "Identifier", faultPath: "devices" },
  vsa9: { client: "vsa9_pat", resource: "assetmgmt/agents", countName: "vsa9.agents", id: "AgentId", faultPath: "assetmgmt/agents" },
  warehouse: { client: "warehouse", resource: "Agents", countName: "vsa9.agents", id: "AgentId", faultPath: "Agents" },
  autotask_next_link: {
    client: "autotask",
    resource: "Companies",
    countName: "autotask.companies",
    id: "id",
    faultPath: "Companies/query",
    options: { autotaskPaging: "nextLink" },
  },
  autotask_keyset: {
    client: "autotask",
    resource: "Companies",
    countName: "autotask.companies",
    id: "id",
    faultPath: "Companies/query",
    options: { autotaskPaging: "keyset" },
  },
};

const plan = (entries) => new Map(entries);
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The n-th request of the list (retries count) -> the fault it suffers. */
const PLANS = {
  // Three bursts of three failures in a row: one page fails three times, the fourth
  // attempt (the last FAST_RETRY allows) gets it.
  "5xx burst": plan(
    [15, 45, 75].flatMap((start) => [
      [start, { kind: "status", status: 503, body: "json" }],
      [start + 1, { kind: "status", status: 502, body: "empty" }],
      [start + 2, { kind: "status", status: 503, body: "text" }],
    ]),
  ),
  "html error page": plan(range(1, 9).map((k) => [11 * k, { kind: "status", status: [500, 502, 503, 504][k % 4], body: "html" }])),
  // One Retry-After of a second (honoured: the driver waits it), and 0s around it.
  "429 Retry-After seconds": plan(
    [10, 30, 50, 70, 90].map((p) => [p, { kind: "rate_limit", seconds: p === 30 ? 1 : 0, retry_after: "seconds" }]),
  ),
  // An HTTP date a second after the response's Date, twice.
  "429 Retry-After date": plan([25, 75].map((p) => [p, { kind: "rate_limit", seconds: 0, retry_after: "date" }])),
  "truncated json": plan(range(1, 9).map((k) => [10 * k, { kind: "truncate", connection: false }])),
  "cut short of Content-Length": plan(range(0, 9).map((k) => [10 * k + 5, { kind: "truncate", connection: true }])),
  "slower than the timeout": plan([20, 50, 80].map((p) => [p, { kind: "slow", delay_ms: 1000 }])),
  "connection reset": plan(range(1, 10).map((k) => [9 * k, { kind: "reset" }])),
};

/** Milliseconds the client must have waited: what the Retry-After values named. */
const LEAST_WAIT_MS = { "429 Retry-After seconds": 1000, "429 Retry-After date": 2000 };

const references = new Map();

const resetWith = (vendor, faults) => sim().reset({ counts: { [vendor.countName]: RECORDS }, faults });

async function idsOf(client, vendor, options = {}, onPage = () => {}) {
  const ids = [];
  for await (const page of client.pages(vendor.resource, { pageSize: PAGE_SIZE, timeoutMs: 5000, ...options })) {
    onPage(page);
    for (const item of page.items) ids.push(String(item[vendor.id]));
  }
  return ids;
}

/** A fault-free sync of the same data (deterministic for the seed), once per vendor. */
async function reference(name) {
  if (!references.has(name)) {
    const vendor = VENDORS[name];
    await resetWith(vendor, []);
    const ids = await idsOf(clientFor(sim(), vendor.client, vendor.options), vendor);
    assertExactlyOnce(ids, await sim().records(vendor.countName));
    references.set(name, { ids: new Set(ids), requests: await sim().vendorCounter(family(vendor.client)) });
  }
  return references.get(name);
}

test("each plan fits the shortest sync (100 pages): every fault falls on a list request", () => {
  for (const [name, faults] of Object.entries(PLANS)) {
    assert.ok(faults.size > 0 && Math.max(...faults.keys()) < RECORDS / PAGE_SIZE, name);
  }
});

for (const [name, vendor] of Object.entries(VENDORS)) {
  for (const [fault, faults] of Object.entries(PLANS)) {
    test(`${name}: ${fault}: every record exactly once`, async () => {
      const api = family(vendor.client);
      const expected = await reference(name);
      await resetWith(vendor, scheduledRules(api, vendor.faultPath, faults));
      const records = await sim().records(vendor.countName);
      assert.equal(records, RECORDS);
      const logMark = sim().log.length;

      const capture = new Capture();
      const fetch = capture.fetch();
      const client = clientFor(sim(), vendor.client, vendor.options);
      const slow = fault.startsWith("slower");
      const ids = await capture.console(async () => {
        try {
          return await idsOf(client, vendor, { fetch, timeoutMs: slow ? SLOW_TIMEOUT_MS : 5000 }, (page) => capture.event(page));
        } catch (error) {
          capture.error(error);
          capture.assertClean();
          throw error;
        }
      });

      // Every record exactly once, the same set as without faults.
      assertExactlyOnce(ids, records);
      assert.deepEqual(new Set(ids), expected.ids);

      // Every planned fault fired, and each cost exactly one more request.
      const fired = faults.size;
      const stats = await settledStats(sim(), (s) => s.vendors[api].faults >= fired);
      const counters = stats.vendors[api];
      assert.equal(counters.faults, fired, JSON.stringify(counters));
      assert.equal(client.requestsSent, fetch.sent.length);
      assert.equal(counters.requests, client.requestsSent, JSON.stringify(counters));
      if (slow) {
        // A reply that comes in just past the timeout may cost a retry more.
        assert.ok(counters.requests >= expected.requests + fired, JSON.stringify(counters));
      } else {
        assert.equal(counters.requests, expected.requests + fired, JSON.stringify(counters));
      }
      if (fault.startsWith("429")) assert.equal(counters.status_429, fired);
      assert.ok(client.waitMs >= (LEAST_WAIT_MS[fault] ?? 0) * 0.95, `${client.waitMs} ms waited`);
      assert.ok(fetch.sent.every((url) => url.startsWith(`${sim().origin}/`)));

      // Nothing it logged, threw, exported or sent, nor the simulator's log, names a secret.
      capture.client(client);
      const log = sim().log.slice(logMark);
      assert.ok(log.split("\n").length >= counters.requests - fired, "the simulator logs every request");
      capture.assertClean([log], { atLeast: fetch.sent.length });
    });
  }
}
