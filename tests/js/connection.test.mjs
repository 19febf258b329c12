// Connection tests for every vendor through the simulator: ok, a wrong secret (refused
// after exactly one request), a missing scope, and a dead port.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MspkitError } from "./support/mspkit.mjs";
import { useSim } from "./support/sim.mjs";
import { FAST_RETRY, VENDORS, WRONG_SECRET, clientFor, deadOrigin, family } from "./support/clients.mjs";

const sim = await useSim();

const NAMES = { vsax: "Kaseya VSA X", vsa9: "Kaseya VSA 9", warehouse: "Kaseya VSA 9 Data Warehouse", autotask: "Autotask PSA" };
const ORG_RECORDS = { vsax: "vsax.organizations", vsa9: "vsa9.orgs", warehouse: null, autotask: "autotask.companies" };
// VSA 9 logs on first, Autotask discovers its zone first.
const OK_REQUESTS = { vsax: 1, vsa9: 2, warehouse: 1, autotask: 2 };

for (const vendor of VENDORS) {
  const api = family(vendor);

  test(`${vendor}: a connection test counts the organisations`, async () => {
    await sim().reset({ counts: { "vsax.organizations": 7, "vsa9.orgs": 9, "autotask.companies": 37 } });
    const client = clientFor(sim(), vendor);
    const report = await client.testConnection({ timeoutMs: 2000 });
    assert.equal(report.ok, true, report.message);
    assert.equal(report.error, null);
    assert.equal(report.vendor, client.vendor);
    if (ORG_RECORDS[api] === null) {
      assert.equal(report.organizationCount, null);
      assert.equal(report.message, "Connected to Kaseya VSA 9 Data Warehouse");
    } else {
      const expected = await sim().records(ORG_RECORDS[api]);
      assert.equal(report.organizationCount, expected);
      assert.ok(report.message.startsWith(`Connected to ${NAMES[api]}: ${expected} `), report.message);
    }
    assert.ok(report.baseUrl.startsWith(sim().origin));
    assert.equal(report.requestsMade, OK_REQUESTS[api]);
    assert.equal(client.requestsSent, report.requestsMade);
    assert.equal(await sim().vendorCounter(api), report.requestsMade);
  });

  test(`${vendor}: a wrong secret is refused after exactly one request`, async () => {
    const client = clientFor(sim(), vendor, { secret: WRONG_SECRET });
    const report = await client.testConnection({ timeoutMs: 2000 });
    assert.equal(report.ok, false);
    assert.ok(report.error instanceof MspkitError);
    assert.equal(report.error.code, "unauthorized");
    assert.ok(report.error.remediation);
    const expected = vendor === "autotask" ? 2 : 1; // Autotask: zone discovery, then the one API request.
    assert.equal(report.requestsMade, expected);
    if (vendor === "autotask") {
      assert.equal(await sim().counter("autotask GET V1.0/zoneInformation"), 1);
    } else {
      assert.equal(report.error.status, 401);
    }
    assert.equal(await sim().vendorCounter(api), expected);
    assert.equal(client.requestsSent, expected);
  });

  test(`${vendor}: a wrong secret fails a list with an unauthorized MspkitError`, async () => {
    const resource = { vsax: "devices", vsa9: "assetmgmt/agents", warehouse: "Agents", autotask: "Companies" }[api];
    const client = clientFor(sim(), vendor, { secret: WRONG_SECRET });
    await assert.rejects(
      async () => {
        for await (const _ of client.pages(resource, { timeoutMs: 2000 })) assert.fail("no page");
      },
      (error) => error instanceof MspkitError && error.code === "unauthorized",
    );
    assert.equal(client.requestsSent, vendor === "autotask" ? 2 : 1);
    assert.equal(await sim().vendorCounter(api), client.requestsSent);
  });

  // VSA 9's limited user has a token, no password.
  test(`${vendor}: limited credentials are forbidden`, { skip: vendor === "vsa9_password" }, async () => {
    const client = clientFor(sim(), vendor, { limited: true });
    const report = await client.testConnection({ timeoutMs: 2000 });
    assert.equal(report.ok, false);
    assert.equal(report.error.code, "forbidden", report.error.message);
    assert.ok(report.error.remediation);
    assert.equal(report.requestsMade, OK_REQUESTS[api]);
    assert.equal(await sim().vendorCounter(api), report.requestsMade);
  });

  test(`${vendor}: a dead port is a transport error after the retries`, async () => {
    // Autotask's first request is zone discovery: that is the URL that goes nowhere.
    const dead = await deadOrigin();
    const url = vendor === "autotask" ? `${dead}/ATServicesRest/V1.0/zoneInformation` : dead;
    const client = clientFor(sim(), vendor, { url });
    const report = await client.testConnection({ timeoutMs: 2000 });
    assert.equal(report.ok, false);
    assert.ok(report.error instanceof MspkitError);
    assert.equal(report.error.code, "transport");
    assert.equal(report.error.status, null);
    assert.ok(report.error.message.includes("(connect)"), report.error.message);
    assert.equal(report.requestsMade, FAST_RETRY.maxAttempts);
    assert.equal(client.requestsSent, FAST_RETRY.maxAttempts);
  });
}
