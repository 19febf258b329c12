// Injected faults a list survives with exact counts: 5xx pages from proxies, 429 with
// Retry-After (seconds and date), truncated bodies, cut and reset connections, answers
// slower than the timeout; and mixes of them around a VSA 9 logon and Autotask's zone
// discovery.

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { useSim } from "./support/sim.mjs";
import { assertExactlyOnce } from "./support/assertions.mjs";
import { clientFor, ids, listPages } from "./support/clients.mjs";

const sim = await useSim();

const DEVICES = 430;
const DEVICE_PAGES = 5;
const rule = (fields) => ({ vendor: "vsax", path: "devices", ...fields });

const FAULTS = {
  "503 html": [[rule({ kind: "status", status: 503, body: "html", at: [2, 4, 5] })], 3],
  "502 empty": [[rule({ kind: "status", status: 502, body: "empty", at: [2, 3, 6] })], 3],
  "429 Retry-After seconds": [[rule({ kind: "rate_limit", seconds: 1, retry_after: "seconds", at: [3] })], 1],
  "429 Retry-After date": [[rule({ kind: "rate_limit", seconds: 1, retry_after: "date", at: [3] })], 1],
  "truncated json": [[rule({ kind: "truncate", at: [2, 3, 5] })], 3],
  "connection cut mid-body": [[rule({ kind: "truncate", connection: true, at: [2, 4] })], 2],
  "connection reset": [[rule({ kind: "reset", at: [1, 3, 4] })], 3],
  "slower than the timeout": [[rule({ kind: "slow", delay_ms: 1000, at: [2, 4] })], 2],
};

for (const [name, [faults, fired]] of Object.entries(FAULTS)) {
  test(`a devices list survives: ${name}`, async () => {
    await sim().reset({ counts: { "vsax.devices": DEVICES }, faults });
    const client = clientFor(sim(), "vsax");
    const slow = name.startsWith("slower");
    const started = Date.now();
    const pages = await listPages(client, "devices", { timeoutMs: slow ? 400 : 2000 });
    const elapsed = Date.now() - started;
    // The slow answers finish on the server after the client gave up on them.
    if (slow) await sleep(700);
    assertExactlyOnce(ids(pages, "Identifier"), DEVICES);
    assert.equal(pages.length, DEVICE_PAGES);
    const endpoint = (await sim().stats()).endpoints["vsax GET devices"];
    assert.equal(endpoint.faults, fired);
    assert.equal(endpoint.requests, DEVICE_PAGES + fired);
    assert.equal(client.requestsSent, DEVICE_PAGES + fired);
    if (name.startsWith("429")) {
      assert.equal(endpoint.status_429, 1);
      // Retry-After named a second; the core said Wait and the driver waited it.
      assert.ok(client.waitMs >= 900, `${client.waitMs} ms waited`);
      assert.ok(elapsed >= 900);
    }
  });
}

/** Five faults on the list's requests 2, 4, 6, 8 and 9. A rule counts only the requests
 * that reach it (an earlier rule that fires takes the request), hence 2, 3, 4, 5, 5. */
const mix = (vendor, path) => [
  { vendor, path, kind: "status", status: 503, body: "html", at: [2] },
  { vendor, path, kind: "reset", at: [3] },
  { vendor, path, kind: "truncate", at: [4] },
  { vendor, path, kind: "truncate", connection: true, at: [5] },
  { vendor, path, kind: "status", status: 502, at: [5] },
];

for (const auth of ["vsa9_pat", "vsa9_password"]) {
  test(`${auth} survives a mix and a failed logon`, async () => {
    const faults = [...mix("vsa9", "assetmgmt/agents"), { vendor: "vsa9", path: "/auth", kind: "status", status: 503, body: "html", at: [1] }];
    await sim().reset({ counts: { "vsa9.agents": 430 }, faults });
    const client = clientFor(sim(), auth);
    const pages = await listPages(client, "assetmgmt/agents");
    assertExactlyOnce(ids(pages, "AgentId"), 430);
    assert.equal(await sim().vendorCounter("vsa9", "faults"), 6);
    assert.equal(await sim().counter("vsa9 GET auth"), 2);
    assert.equal(await sim().counter("vsa9 GET assetmgmt/agents"), 5 + 5);
    assert.equal(client.requestsSent, 12);
  });
}

test("the warehouse survives a mix", async () => {
  await sim().reset({ counts: { "vsa9.agents": 250 }, faults: mix("warehouse", "Agents") });
  const client = clientFor(sim(), "warehouse");
  const pages = await listPages(client, "Agents", { pageSize: 50 });
  assertExactlyOnce(ids(pages, "AgentId"), 250);
  assert.equal(await sim().vendorCounter("warehouse", "faults"), 5);
  assert.equal(await sim().vendorCounter("warehouse"), 5 + 5);
  assert.equal(client.requestsSent, 10);
});

for (const paging of ["nextLink", "keyset"]) {
  test(`autotask (${paging}) survives a mix and a failed zone discovery`, async () => {
    const faults = [...mix("autotask", "Companies/query"), { vendor: "autotask", path: "zoneInformation", kind: "status", status: 503, at: [1] }];
    await sim().reset({ counts: { "autotask.companies": 1234 }, faults });
    const client = clientFor(sim(), "autotask", { autotaskPaging: paging });
    const pages = await listPages(client, "Companies", { pageSize: 200 });
    assertExactlyOnce(ids(pages, "id"), 1234);
    assert.equal(await sim().vendorCounter("autotask", "faults"), 6);
    const queries = (await sim().counter("autotask POST V1.0/Companies/query")) + (await sim().counter("autotask POST V1.0/Companies/query/next"));
    assert.equal(queries, 7 + 5, "7 pages and 5 faults");
    assert.equal(await sim().counter("autotask GET V1.0/zoneInformation"), 2);
    assert.equal(client.requestsSent, await sim().vendorCounter("autotask"));
  });
}
