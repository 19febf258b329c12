// Full multi-page lists for every vendor (exact counts, no id twice), resuming from a
// cursor on a new client, several jobs on one client, filters and fields.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MspkitError } from "./support/mspkit.mjs";
import { useSim } from "./support/sim.mjs";
import { assertExactlyOnce } from "./support/assertions.mjs";
import { LISTS, VENDORS, clientFor, family, ids, listPages } from "./support/clients.mjs";

const sim = await useSim();

async function listRequests(spec) {
  let n = 0;
  for (const endpoint of spec.endpoints) n += await sim().counter(endpoint);
  return n;
}

for (const vendor of VENDORS) {
  test(`${vendor}: a full list delivers every record exactly once`, async () => {
    const spec = LISTS[family(vendor)];
    await sim().reset({ counts: { [spec.countName]: spec.count } });
    const client = clientFor(sim(), vendor);
    const pages = await listPages(client, spec.resource, { pageSize: spec.pageSize });
    assertExactlyOnce(ids(pages, spec.id), await sim().records(spec.countName));
    assert.deepEqual(pages.map((p) => p.items.length), spec.pageSizes);
    assert.deepEqual(pages.map((p) => p.itemCount), spec.pageSizes);
    assert.deepEqual(pages.map((p) => p.pageNumber), pages.map((_, i) => i + 1));
    assert.ok(pages.every((p) => p.kind === "page" && typeof p.cursor === "string"));
    assert.ok(pages.every((p) => p.items.every((item) => item !== null && typeof item === "object" && !Array.isArray(item))));
    assert.equal(await listRequests(spec), pages.length, "every page requested once");
    assert.equal(client.requestsSent, await sim().vendorCounter(family(vendor)));
    assert.equal(await sim().vendorCounter(family(vendor), "status_429"), 0);
  });
}

const RESUMES = [
  // vendor, pages before stopping, count, page size, pages expected after
  ["vsax", 2, 430, undefined, [3, 4, 5]],
  ["vsa9_pat", 3, 330, 40, [4, 5, 6, 7, 8, 9]],
  ["vsa9_password", 3, 330, 40, [4, 5, 6, 7, 8, 9]],
  ["warehouse", 4, 250, 30, [5, 6, 7, 8, 9]],
  ["autotask", 2, 1234, undefined, [3]],
];

for (const [vendor, stop, count, pageSize, restPages] of RESUMES) {
  test(`${vendor}: a cursor resumes on a new client`, async () => {
    const spec = LISTS[family(vendor)];
    await sim().reset({ counts: { [spec.countName]: count } });
    const part = await listPages(clientFor(sim(), vendor), spec.resource, { pageSize, stopAfter: stop });
    assert.deepEqual(part.map((p) => p.pageNumber), part.map((_, i) => i + 1));
    assert.equal(part.length, stop);
    const rest = await listPages(clientFor(sim(), vendor), spec.resource, { pageSize, cursor: part.at(-1).cursor });
    assert.deepEqual(rest.map((p) => p.pageNumber), restPages);
    assertExactlyOnce([...ids(part, spec.id), ...ids(rest, spec.id)], count);
    assert.equal(await listRequests(spec), stop + restPages.length, "no page fetched twice");
  });
}

for (const paging of ["nextLink", "keyset"]) {
  test(`autotask resumes with ${paging} paging`, async () => {
    await sim().reset({ counts: { "autotask.companies": 1234 } });
    const part = await listPages(clientFor(sim(), "autotask", { autotaskPaging: paging }), "Companies", { stopAfter: 1 });
    const rest = await listPages(clientFor(sim(), "autotask", { autotaskPaging: paging }), "Companies", { cursor: part[0].cursor });
    assert.deepEqual([...part, ...rest].map((p) => p.items.length), [500, 500, 234]);
    assertExactlyOnce(ids([...part, ...rest], "id"), 1234);
  });
}

test("the last cursor resumes to nothing, without a request", async () => {
  await sim().reset({ counts: { "vsax.devices": 150 } });
  const pages = await listPages(clientFor(sim(), "vsax"), "devices");
  const client = clientFor(sim(), "vsax");
  assert.deepEqual(await listPages(client, "devices", { cursor: pages.at(-1).cursor }), []);
  assert.equal(client.requestsSent, 0);
});

test("a cursor of another list is refused before anything is sent", async () => {
  await sim().reset({ counts: { "vsax.devices": 150 } });
  const pages = await listPages(clientFor(sim(), "vsax"), "devices", { stopAfter: 1 });
  const client = clientFor(sim(), "vsax");
  for (const [resource, cursor] of [["organizations", pages[0].cursor], ["devices", "not a cursor"]]) {
    await assert.rejects(listPages(client, resource, { cursor }), (e) => e instanceof MspkitError && e.code === "invalid_config");
  }
  assert.equal(client.requestsSent, 0);
});

test("two lists interleave on one client", async () => {
  await sim().reset({ counts: { "vsax.devices": 250, "vsax.notifications": 240 } });
  const client = clientFor(sim(), "vsax", { maxInFlight: 2 });
  const devices = client.pages("devices", { timeoutMs: 2000 });
  const notifications = client.pages("notifications", { timeoutMs: 2000 });
  const seen = { devices: [], notifications: [] };
  const take = async (iterator, into, field) => {
    const next = await iterator.next();
    if (!next.done) into.push(...next.value.items.map((i) => String(i[field])));
    return !next.done;
  };
  let more = true;
  while (more) {
    const [d, n] = await Promise.all([take(devices, seen.devices, "Identifier"), take(notifications, seen.notifications, "Id")]);
    more = d || n;
  }
  assertExactlyOnce(seen.devices, 250);
  assertExactlyOnce(seen.notifications, 240);
  assert.equal(client.requestsSent, 3 + 3);
});

test("filters, order and fields reach the server", async () => {
  await sim().reset({ counts: { "autotask.companies": 1100 } });
  const client = clientFor(sim(), "autotask");
  const pages = await listPages(client, "Companies", {
    filter: [{ op: "lt", field: "id", value: 700 }],
    fields: ["companyName"],
    pageSize: 200,
  });
  const items = pages.flatMap((p) => p.items);
  assert.ok(items.length > 0);
  assert.ok(items.every((i) => Object.keys(i).sort().join() === "companyName,id" && i.id < 700));
  const orgs = (await listPages(clientFor(sim(), "vsax"), "organizations", { orderBy: "Name desc" })).flatMap((p) => p.items);
  const names = orgs.map((o) => o.Name);
  assert.deepEqual(names, [...names].sort().reverse());
});

test("a next-page link to another origin is never followed", async () => {
  const { createServer } = await import("node:http");
  let hits = 0;
  const foreign = createServer((_, res) => {
    hits += 1;
    res.writeHead(404).end();
  });
  await new Promise((resolve) => foreign.listen(0, "127.0.0.1", resolve));
  try {
    const origin = `http://127.0.0.1:${foreign.address().port}`;
    await sim().reset({
      counts: { "vsa9.agents": 250 },
      faults: [{ vendor: "warehouse", path: "Agents", kind: "foreign_next_link", origin, at: [2] }],
    });
    const pages = [];
    await assert.rejects(
      async () => {
        for await (const page of clientFor(sim(), "warehouse").pages("Agents", { pageSize: 50 })) pages.push(page);
      },
      (e) => e instanceof MspkitError && e.code === "unsafe_link",
    );
    assert.equal(pages.length, 1, "the page before is kept");
    assert.equal(hits, 0, "nothing reached the foreign origin");
  } finally {
    foreign.close();
  }
});

test("leaving pages() early cancels the job: a later list on the same client sends only its own requests", async () => {
  const spec = LISTS.vsax;
  await sim().reset({ counts: { [spec.countName]: spec.count } });
  const client = clientFor(sim(), "vsax");
  for await (const _page of client.pages(spec.resource, { pageSize: spec.pageSize })) break;
  assert.equal(await listRequests(spec), 1);
  // The jobs would take turns if the first were still running.
  const pages = await listPages(client, spec.resource, { pageSize: spec.pageSize });
  assert.equal(await listRequests(spec), 1 + pages.length, "the abandoned list sent nothing more");
  assert.equal(client.cancel(12345), false, "an unknown job: nothing to cancel");
});
