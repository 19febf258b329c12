// Credential confinement: credentials go to the tenant's own origin (or Autotask's zone)
// and nowhere else. Every URL shape of tests/fixtures/unsafe_urls.json is refused before
// anything is sent to it:
// - next-page links a server returns (VSA X Meta.NextQueryLink, Data Warehouse
//   @odata.nextLink, Autotask pageDetails.nextPageUrl): unsafe_link;
// - zone URLs Autotask zone discovery returns: unsafe_link, no zone adopted;
// - resume cursors whose stored link was edited to point elsewhere: unsafe_link;
// - tenant, zone and zone discovery URLs a user enters: invalid_config, at construction.
// Shapes the simulator cannot serve (https hosts, the metadata address) reach the client
// as crafted responses through its sans-IO API, built from the vendor fixtures; loopback
// shapes go through the simulator and fetch, with canary servers counting every request.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { Client, MspkitError } from "./support/mspkit.mjs";
import { SENTINEL, useSim } from "./support/sim.mjs";
import { Capture } from "./support/capture.mjs";
import { canary, clientFor } from "./support/clients.mjs";

const sim = await useSim();

const FIXTURES = new URL("../fixtures/", import.meta.url);
const fixture = (name) => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
const SHAPES = fixture("unsafe_urls.json");
/** The fixtures' clock: 2026-11-22T12:00:00Z. */
const NOW = 1_795_348_800_000;
const DATE = "Sun, 22 Nov 2026 12:00:00 GMT";
const SECRET = `secret-${SENTINEL}`;

const fill = (template, values) => Object.entries(values).reduce((t, [k, v]) => t.replaceAll(`{${k}}`, v), template);
const originOf = (url) => new URL(url).origin;

/** Drives `client` by hand until it is idle, answering each request it asks to send
 * with `answer(request)`; a request `answer` does not know (null) is recorded and never
 * answered, and the conversation stops there. */
function converse(client, answer, capture) {
  const sent = [];
  const events = [];
  let now = NOW;
  for (let action = client.poll(now); action !== null; action = client.poll(now)) {
    capture.action(action);
    if (action.type === "send") {
      sent.push(action.request);
      const reply = answer(action.request);
      if (reply === null) break;
      const [status, body] = reply;
      client.handleResponse(action.request.id, status, [["Content-Type", "application/json"], ["Date", DATE]], body, now);
    } else if (action.type === "wait") {
      now = action.untilMs;
    } else {
      events.push(action.event);
    }
  }
  return { sent, events, of: (kind) => events.filter((e) => e.kind === kind) };
}

const LINK_VENDORS = {
  "vsax NextQueryLink": {
    make: () => Client.vsax({ tenantUrl: "https://acme.vsax.net", tokenId: "mspkit-token-id-7c41", tokenSecret: SECRET }),
    resource: "devices",
    fixture: "vsax/devices_next_query_link_page1.json",
    linkAt: ["Meta", "NextQueryLink"],
  },
  "warehouse @odata.nextLink": {
    make: () => Client.vsa9Warehouse({ serverUrl: "https://vsa.example.com", username: "alice", token: SECRET }),
    resource: "Agents",
    fixture: "warehouse/agents_page1.json",
    linkAt: ["@odata.nextLink"],
  },
  "autotask nextPageUrl": {
    make: () =>
      Client.autotask({ username: "apiuser@acme.example", secret: SECRET, integrationCode: "MSPKITCODE", zoneUrl: "https://webservices15.autotask.net" }),
    resource: "Companies",
    fixture: "autotask/companies_query_page1.json",
    linkAt: ["pageDetails", "nextPageUrl"],
  },
};

const THRESHOLD = JSON.stringify(fixture("autotask/threshold_information.json"));

for (const [vendorName, vendor] of Object.entries(LINK_VENDORS)) {
  for (const shape of SHAPES.next_links) {
    test(`${vendorName}: a next link to ${shape.name} is ${shape.follow ? "followed" : "refused"}`, () => {
      const page = fixture(vendor.fixture);
      const holder = vendor.linkAt.slice(0, -1).reduce((node, key) => node[key], page);
      const key = vendor.linkAt.at(-1);
      const own = new URL(holder[key]);
      holder[key] = fill(shape.url, { host: own.host, path: own.pathname + own.search });

      const client = vendor.make();
      client.startList(vendor.resource, { pageSize: 3 });
      const lists = [];
      const capture = new Capture();
      const conversation = converse(
        client,
        (request) => {
          // Autotask reads its tenant's usage before a second page.
          if (request.url.endsWith("/ThresholdInformation")) return [200, THRESHOLD];
          lists.push(request);
          return lists.length === 1 ? [200, JSON.stringify(page)] : null;
        },
        capture,
      );
      const home = originOf(lists[0].url);
      assert.ok(conversation.sent.slice(0, -1).every((r) => originOf(r.url) === home));
      if (shape.follow) {
        assert.equal(conversation.of("page").length, 1);
        assert.equal(lists.length, 2);
        assert.ok(lists[1].url.startsWith(home + own.pathname), lists[1].url);
      } else {
        assert.equal(lists.length, 1, `asked to send ${conversation.sent.at(-1).url}`);
        assert.equal(originOf(conversation.sent.at(-1).url), home);
        // The page that carries the link is not delivered: its cursor could not resume.
        assert.deepEqual(conversation.of("page"), []);
        const [failed] = conversation.of("failed");
        assert.ok(failed.error instanceof MspkitError);
        assert.equal(failed.error.code, "unsafe_link");
        assert.match(failed.error.remediation, /Nothing was sent/);
        assert.equal(client.poll(NOW), null, "the job is over");
      }
      capture.client(client);
      capture.assertClean();
    });
  }
}

for (const job of ["testConnection", "list"]) {
  for (const shape of SHAPES.zones) {
    test(`autotask ${job}: a discovered zone at ${shape.name} is ${shape.follow ? "used" : "refused"}`, () => {
      const zone = { ...fixture("autotask/zone_information.json"), url: shape.url };
      const client = Client.autotask({ username: "apiuser@acme.example", secret: SECRET, integrationCode: "MSPKITCODE" });
      if (job === "list") client.startList("Companies");
      else client.startTestConnection();
      const capture = new Capture();
      const conversation = converse(client, (request) => (request.url.includes("/zoneInformation?") ? [200, JSON.stringify(zone)] : null), capture);
      const discovery = conversation.sent[0].url;
      assert.ok(discovery.startsWith("https://webservices.autotask.net/ATServicesRest/V1.0/zoneInformation?user="), discovery);
      if (shape.follow) {
        assert.equal(conversation.sent.length, 2);
        assert.ok(conversation.sent[1].url.startsWith("https://webservices5.autotask.net/ATServicesRest/V1.0/"));
      } else {
        assert.deepEqual(conversation.sent.map((r) => r.url), [discovery], "nothing after discovery");
        const error = job === "list" ? conversation.of("failed")[0].error : conversation.of("connection")[0].report.error;
        assert.ok(error instanceof MspkitError);
        assert.equal(error.code, "unsafe_link");
        assert.equal(client.baseUrl, null, "no zone adopted");
        assert.ok(!client.exportState().includes("evil") && !client.exportState().includes("127.0.0.2"));
      }
      capture.client(client);
      capture.assertClean();
    });
  }
}

// ------------------------------------------------------------------ through the simulator, with canaries

const canaries = {};
before(async () => {
  for (const host of ["127.0.0.1", "127.0.0.2", "::1"]) {
    const server = await canary(host);
    if (server) canaries[host] = server;
  }
});
after(() => Promise.all(Object.values(canaries).map((c) => c.stop())));

const hits = () => Object.fromEntries(Object.entries(canaries).map(([host, c]) => [host, c.hits]));
const noHits = () => Object.fromEntries(Object.keys(canaries).map((host) => [host, 0]));

/** Where a link moved by the simulator points: other loopback hosts (where canaries
 * listen), and the tenant's own origin with userinfo or outside the API. */
function loopbackOrigins() {
  const simPort = new URL(sim().origin).port;
  const origins = {
    "another port": canaries["127.0.0.1"].origin,
    "another loopback address": canaries["127.0.0.2"].origin,
    "localhost by name": `http://localhost:${canaries["127.0.0.1"].address().port}`,
    "userinfo on the tenant": `http://mspkit:${SENTINEL}@127.0.0.1:${simPort}`,
    "outside the API on the tenant": `${sim().origin}/elsewhere`,
  };
  if (canaries["::1"]) origins["IPv6 loopback"] = canaries["::1"].origin;
  return origins;
}

const SIM_LISTS = {
  vsax: { counts: { "vsax.devices": 5200 }, path: "devices", resource: "devices", endpoints: ["vsax GET devices"] },
  warehouse: { counts: { "vsa9.agents": 250 }, path: "Agents", resource: "Agents", pageSize: 50, endpoints: ["warehouse GET Agents"] },
  autotask: {
    counts: { "autotask.companies": 1234 },
    path: "Companies/query",
    resource: "Companies",
    endpoints: ["autotask POST V1.0/Companies/query", "autotask POST V1.0/Companies/query/next"],
  },
};
const LOOPBACK_SHAPES = [
  "another port",
  "another loopback address",
  "localhost by name",
  "userinfo on the tenant",
  "outside the API on the tenant",
  "IPv6 loopback",
];

for (const [vendor, list] of Object.entries(SIM_LISTS)) {
  for (const where of LOOPBACK_SHAPES) {
    test(`${vendor}: a next link to ${where} sends nothing there`, async (t) => {
      const origins = loopbackOrigins();
      if (!origins[where]) return t.skip("no IPv6 loopback here");
      // The second page's link moves: the first page is delivered, the second is not.
      const fault = { vendor, path: list.path, kind: "foreign_next_link", origin: origins[where], at: [2] };
      await sim().reset({ counts: list.counts, faults: [fault] });
      const client = clientFor(sim(), vendor);
      const pages = [];
      const capture = new Capture();
      await assert.rejects(
        async () => {
          for await (const page of client.pages(list.resource, { pageSize: list.pageSize, timeoutMs: 2000 })) pages.push(page);
        },
        (error) => {
          capture.error(error);
          return error instanceof MspkitError && error.code === "unsafe_link";
        },
      );
      assert.equal(pages.length, 1, "the page before is kept");
      assert.deepEqual(hits(), noHits(), "nothing reached another loopback host");
      const stats = await sim().stats();
      assert.equal(list.endpoints.reduce((n, e) => n + (stats.endpoints[e]?.requests ?? 0), 0), 2);
      assert.equal(client.requestsSent, stats.vendors[vendor].requests, "every request went to the tenant's API");
      capture.client(client);
      capture.assertClean();
    });
  }
}

// Autotask's cursors hold the last id, never a link.
for (const vendor of ["vsax", "warehouse"]) {
  test(`${vendor}: a cursor whose link was edited to another host sends nothing`, async () => {
    const list = SIM_LISTS[vendor];
    await sim().reset({ counts: list.counts });
    let first;
    for await (const page of clientFor(sim(), vendor).pages(list.resource, { pageSize: list.pageSize, timeoutMs: 2000 })) {
      first = page;
      break;
    }
    const cursor = JSON.parse(first.cursor);
    assert.ok(cursor.next.startsWith(sim().origin), first.cursor);
    cursor.next = cursor.next.replace(sim().origin, canaries["127.0.0.2"].origin);
    await sim().reset({ counts: list.counts });

    const resumed = clientFor(sim(), vendor);
    await assert.rejects(
      async () => {
        for await (const _ of resumed.pages(list.resource, { pageSize: list.pageSize, cursor: JSON.stringify(cursor), timeoutMs: 2000 })) {
          assert.fail("no page");
        }
      },
      (error) => error instanceof MspkitError && error.code === "unsafe_link",
    );
    assert.deepEqual(hits(), noHits());
    assert.equal(resumed.requestsSent, 0);
    assert.equal(await sim().vendorCounter(vendor), 0);
  });
}

// ------------------------------------------------------------------ what users enter

for (const vendor of ["vsax", "vsa9_pat", "warehouse"]) {
  for (const shape of SHAPES.tenant_urls) {
    test(`${vendor}: a tenant URL with ${shape.name} is refused before anything is sent`, async () => {
      const url = fill(shape.url, { canary: canaries["127.0.0.1"].authority });
      const capture = new Capture();
      await assert.rejects(
        async () => {
          const client = clientFor(sim(), vendor, { url, allowInsecureLoopback: shape.loopback ?? false });
          // Reached only if the URL was accepted: it would go to the canary.
          await client.testConnection({ timeoutMs: 2000 });
        },
        (error) => {
          capture.error(error);
          return error instanceof MspkitError && error.code === "invalid_config";
        },
      );
      assert.deepEqual(hits(), noHits());
      capture.assertClean();
    });
  }
}

for (const option of ["zoneUrl", "zoneDiscoveryUrl"]) {
  for (const shape of SHAPES.zone_urls) {
    test(`autotask: a ${option} with ${shape.name} is refused before anything is sent`, async () => {
      const url = fill(shape.url, { canary: canaries["127.0.0.1"].authority });
      const where = option === "zoneUrl" ? { zoneUrl: url } : { url };
      const capture = new Capture();
      await assert.rejects(
        async () => {
          const client = clientFor(sim(), "autotask", { ...where, allowInsecureLoopback: shape.loopback ?? false });
          await client.testConnection({ timeoutMs: 2000 });
        },
        (error) => {
          capture.error(error);
          return error instanceof MspkitError && error.code === "invalid_config";
        },
      );
      assert.deepEqual(hits(), noHits());
      assert.equal(await sim().vendorCounter("autotask"), 0);
      capture.assertClean();
    });
  }
}

test("the canaries count what reaches them (the control for the tests above)", async () => {
  for (const [host, server] of Object.entries(canaries)) {
    const report = await clientFor(sim(), "vsax", { url: server.origin }).testConnection({ timeoutMs: 2000 });
    assert.equal(report.error?.code, "not_found", host);
  }
  assert.ok(Object.values(hits()).every((n) => n >= 1), JSON.stringify(hits()));
});
