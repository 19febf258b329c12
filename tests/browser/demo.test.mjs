// The demo page (js-demo/) in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), against the simulator through the demo server: a connection test
// direct and through the relay, a wrong secret, Autotask, a relay refusal, and List
// filling the table to the end of its progress bar. The sentinel secret must appear in
// no console message, no page content and no line of the server's stderr.

import assert from "node:assert/strict";
import { test } from "node:test";
import { SENTINEL } from "../js/support/sim.mjs";
import { WRONG_SECRET, clientFor } from "../js/support/clients.mjs";
import { assertCleanConsole, screenshot, useDemo } from "./support/browser.mjs";

const DEVICES = 250; // three pages of 100: the bar has somewhere to go

const demo = useDemo(["--count", `vsax.devices=${DEVICES}`]);

/** A fresh page on the demo, the simulator's tenants filled in. */
async function openDemo(t, { vendor = "vsax", route = "relay" } = {}) {
  const page = await demo.open(t);
  await page.selectOption("#vendor", vendor);
  await page.click("#fill-simulator"); // appears once /config said "simulator"
  await page.check(`input[name=route][value=${route}]`);
  return page;
}

/** Presses Test or List and waits for the outcome: { tone, text }. */
async function press(page, action) {
  await page.click(`button[value=${action}]`);
  await page.waitForFunction(
    () => ["ok", "error"].includes(document.querySelector("#status").dataset.tone) && !document.querySelector("button[value=test]").disabled,
    null,
    { timeout: 15_000 },
  );
  return page.$eval("#status", (status) => ({ tone: status.dataset.tone, text: status.innerText }));
}

for (const route of ["direct", "relay"]) {
  test(`VSA X, ${route}: "Connected to Kaseya VSA X" with the simulator's organisation count`, async (t) => {
    await demo.sim.reset({ counts: { "vsax.devices": DEVICES } });
    const page = await openDemo(t, { route });
    const status = await press(page, "test");
    const organizations = await demo.sim.records("vsax.organizations");
    assert.equal(status.tone, "ok", status.text);
    assert.match(status.text, new RegExp(`^Connected to Kaseya VSA X: ${organizations} organizations`));
    assert.match(status.text, route === "relay" ? /via the demo server's relay/ : /direct/);
    assert.equal(await demo.sim.vendorCounter("vsax"), 1);
  });
}

for (const [vendor, label, count] of [
  ["vsa9", "Kaseya VSA 9", "vsa9.orgs"],
  ["vsa9_warehouse", "Kaseya VSA 9 Data Warehouse", null],
]) {
  test(`${label}, direct: connected`, async (t) => {
    const page = await openDemo(t, { vendor, route: "direct" });
    const status = await press(page, "test");
    assert.equal(status.tone, "ok", status.text);
    const expected = count ? `^Connected to ${label}: ${await demo.sim.records(count)} organizations` : `^Connected to ${label}\n`;
    assert.match(status.text, new RegExp(expected));
  });
}

test("a wrong secret shows the error and its remediation, not the secret", async (t) => {
  const page = await openDemo(t);
  await page.fill("#vsax-tokenSecret", WRONG_SECRET);
  const status = await press(page, "test");
  const expected = (await clientFor(demo.sim, "vsax", { secret: WRONG_SECRET }).testConnection()).error;
  assert.equal(status.tone, "error");
  assert.ok(status.text.includes(expected.message), status.text);
  assert.ok(status.text.includes(`What to do: ${expected.remediation}`), status.text);
  assert.ok(!(await page.content()).includes(SENTINEL), "the secret is in the page");
  await screenshot(page, "demo-wrong-secret.png");
});

test("Autotask through the relay: zone discovery, then the company count", async (t) => {
  const page = await openDemo(t, { vendor: "autotask" });
  const status = await press(page, "test");
  assert.equal(status.tone, "ok", status.text);
  assert.match(status.text, new RegExp(`^Connected to Autotask PSA: ${await demo.sim.records("autotask.companies")} companies`));
  assert.match(status.text, /2 requests/);
});

test("a tenant the relay will not reach: the relay's reason and what to do", async (t) => {
  const page = await openDemo(t);
  await page.fill("#vsax-tenantUrl", "https://tenant.example.com");
  const status = await press(page, "test");
  assert.equal(status.tone, "error");
  assert.match(status.text, /^The relay refused `tenant\.example\.com`/);
  assert.match(status.text, /What to do: Nothing was sent\./);
});

test("List fills the table page by page and the progress bar reaches its end", async (t) => {
  await demo.sim.reset({ counts: { "vsax.devices": DEVICES } });
  const page = await openDemo(t);
  const status = await press(page, "list");
  assert.equal(status.tone, "ok", status.text);
  assert.match(status.text, new RegExp(`^Listed ${DEVICES} devices in 3 pages`));
  assert.equal(await page.$$eval("#records tbody tr", (rows) => rows.length), DEVICES);
  const progress = await page.$eval("#progress", (bar) => ({ value: bar.value, max: bar.max }));
  assert.deepEqual(progress, { value: DEVICES, max: DEVICES });
  assert.equal(await page.textContent("#progress-text"), `Page 3 · ${DEVICES} of ${DEVICES} devices`);
  assert.deepEqual(await page.$$eval("#records th", (cells) => cells.map((cell) => cell.textContent)), [
    "Name",
    "OrganizationName",
    "SiteName",
    "GroupName",
    "IsAgentInstalled",
  ]);
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  await screenshot(page, "demo-list.png");
});

test("no secret in any console message or in the demo server's stderr", (t) => {
  assert.ok(demo.server.relayLines.length > 0, "the relay was used");
  assertCleanConsole(t, demo.consoleMessages);
  assert.ok(!demo.server.stderr.includes(SENTINEL), "a secret in the server's stderr");
});
