// No secret anywhere: every secret of the simulator contains SENTINEL (and so do the
// wrong secrets used here). Run each vendor's scenarios while capturing every thrown
// error (message, stack, String, inspect, JSON), JSON.stringify and inspect of every
// action but the request headers (the credentials the host must send), reports,
// exported state, the client objects, and console output; SENTINEL must appear nowhere.

import { test } from "node:test";
import { Client } from "./support/mspkit.mjs";
import { SENTINEL, useSim } from "./support/sim.mjs";
import { Capture } from "./support/capture.mjs";
import { VENDORS, WRONG_SECRET, clientFor, deadOrigin, family } from "./support/clients.mjs";

const sim = await useSim();
const RESOURCES = { vsax: "devices", vsa9: "assetmgmt/agents", warehouse: "Agents", autotask: "Companies" };

async function drain(capture, client, resource, fetch, options = {}) {
  capture.add(client, client.baseUrl ?? "", client.vendor);
  const report = await client.testConnection({ fetch, timeoutMs: 2000 });
  capture.add(report);
  if (report.error) capture.error(report.error);
  try {
    for await (const page of client.pages(resource, { fetch, timeoutMs: 2000, ...options })) capture.event(page);
  } catch (error) {
    capture.error(error);
  }
  capture.add(client.exportState());
}

/** A host loop of our own over poll that captures every action. */
async function ownLoop(capture, client) {
  for (let action = client.poll(Date.now()); action !== null; action = client.poll(Date.now())) {
    capture.action(action);
    if (action.type === "send") {
      const { id, method, url, headers, body } = action.request;
      try {
        const response = await fetch(url, { method, headers, body: body ?? undefined, redirect: "manual" });
        client.handleResponse(id, response.status, response.headers, await response.text(), Date.now());
      } catch (error) {
        capture.error(error);
        client.handleTransportError(id, "other", String(error), Date.now());
      }
    } else if (action.type === "wait") {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, action.untilMs - Date.now())));
    }
  }
}

for (const vendor of VENDORS) {
  test(`${vendor}: the sentinel never appears`, async () => {
    const capture = new Capture();
    const resource = RESOURCES[family(vendor)];
    await capture.console(async () => {
      await drain(capture, clientFor(sim(), vendor), resource, capture.fetch(), { pageSize: 50 });
      // Refusals: a wrong secret, the limited credentials, nothing listening.
      const dead = (await deadOrigin()) + (vendor === "autotask" ? "/ATServicesRest/V1.0/zoneInformation" : "");
      for (const client of [
        clientFor(sim(), vendor, { secret: WRONG_SECRET }),
        clientFor(sim(), vendor, { limited: vendor !== "vsa9_password" }),
        clientFor(sim(), vendor, { url: dead, retry: { maxAttempts: 2, baseMs: 10 } }),
      ]) {
        await drain(capture, client, resource, capture.fetch());
      }
      // A list through faults, in a loop of our own that captures every action.
      await sim().reset({
        faults: [
          { kind: "status", status: 503, body: "html", at: [2] },
          { kind: "status", status: 500, body: "json", at: [3] },
          { kind: "truncate", at: [4] },
          { kind: "rate_limit", seconds: 0, retry_after: "date", at: [5] },
        ],
      });
      const client = clientFor(sim(), vendor);
      client.startTestConnection();
      client.startList(resource, { pageSize: 10 });
      await ownLoop(capture, client);
      capture.add(client.exportState(), client);
    });
    capture.assertClean([], { atLeast: 51 });
  });
}

test("configuration errors never quote secrets", async () => {
  const capture = new Capture();
  const S = SENTINEL;
  const attempts = [
    () => Client.vsax({ tenantUrl: `https://user:${S}@acme.vsax.net`, tokenId: "id", tokenSecret: S }),
    () => Client.vsax({ tenantUrl: `https://acme.vsax.net/?token=${S}`, tokenId: "id", tokenSecret: S }),
    () => Client.vsax({ tenantUrl: `${S}:${S}@acme.vsax.net`, tokenId: "id", tokenSecret: S }),
    () => Client.vsax({ tenantUrl: "https://acme.vsax.net", tokenId: S, tokenSecret: `${S}\n` }),
    () => Client.vsax({ tenantUrl: "https://acme.vsax.net", tokenId: "id", tokenSecret: [S] }),
    () => Client.vsax({ tenantUrl: "https://acme.vsax.net", tokenId: "id", tokenSecret: S, [S]: 1 }),
    () => Client.vsax({ tenantUrl: "https://acme.vsax.net", tokenId: "id", tokenSecret: S, retry: { [S]: 1 } }),
    () => Client.vsax({ tenantUrl: "https://acme.vsax.net", tokenId: "id", tokenSecret: S, windows: { [S]: [] } }),
    () => Client.vsax({ tenantUrl: "https://acme.vsax.net", tokenId: "id", tokenSecret: () => S }),
    () => Client.vsa9({ serverUrl: `https://kaseya.example.com#${S}`, username: "user", token: S }),
    () => Client.vsa9({ serverUrl: "https://kaseya.example.com", username: "user", token: S, auth: S }),
    () => Client.vsa9Warehouse({ serverUrl: "https://kaseya.example.com", username: "user", token: S, retry: { maxAttempts: 0 } }),
    () => Client.autotask({ username: "user", secret: S, integrationCode: "code", zoneUrl: `https://x:${S}@evil.example.com` }),
    () => Client.autotask({ username: "user", secret: S, integrationCode: "code", zoneDiscoveryUrl: `ftp://u:${S}@x/` }),
    () => Client.autotask({ username: "user", secret: S, integrationCode: S, zoneUrl: `webservices5.autotask.net?${S}` }),
    () => Client.autotask({ username: "user", secret: S, integrationCode: "code", autotaskPaging: S }),
  ];
  await capture.console(async () => {
    for (const attempt of attempts) {
      try {
        const client = attempt();
        capture.add(client, client.exportState());
      } catch (error) {
        capture.error(error);
      }
    }
  });
  capture.assertClean();
});
