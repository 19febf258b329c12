// The README's browser quick start (js-demo/quickstart.html) in headless Chromium against
// the simulator's VSA X tenant: connected, then a wrong secret with its remediation; the
// sentinel secret in no page content and no console message. And the README quotes the
// page as it is.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SENTINEL } from "../js/support/sim.mjs";
import { WRONG_SECRET, clientFor } from "../js/support/clients.mjs";
import { ROOT } from "../js/support/demo_server.mjs";
import { assertCleanConsole, screenshot, useDemo } from "./support/browser.mjs";

const BEGIN = "<!-- README: browser quick start -->\n";
const END = "\n<!-- end of the browser quick start -->";

const demo = useDemo();

/** Opens the quick start, types the simulator's VSA X tenant (`secret` replacing its
 * secret), ticks the simulator box, presses Test; resolves to the output's text. */
async function quickstart(t, secret) {
  const { tenant_url, token_id, token_secret } = demo.sim.line.vsax;
  const page = await demo.open(t, "/quickstart.html");
  await page.getByLabel("Tenant URL").fill(tenant_url);
  await page.getByLabel("Token id").fill(token_id);
  await page.getByLabel("Token secret").fill(secret ?? token_secret);
  await page.getByLabel("local simulator (allow http to 127.0.0.1)").check();
  await page.getByRole("button", { name: "Test" }).click(); // enabled once the module ran
  await page.waitForFunction(() => !["", "Testing…"].includes(document.querySelector("[role=status]").textContent));
  return { page, text: await page.getByRole("status").textContent() };
}

test("the simulator's VSA X tenant: connected, with its organisation count", async (t) => {
  const { text } = await quickstart(t);
  assert.equal(text, `Connected to Kaseya VSA X: ${await demo.sim.records("vsax.organizations")} organizations`);
});

test("a wrong secret: the message and the remediation, never the secret", async (t) => {
  const { page, text } = await quickstart(t, WRONG_SECRET);
  const client = clientFor(demo.sim, "vsax", { secret: WRONG_SECRET });
  const { error } = await client.testConnection();
  client.free();
  assert.equal(text, `${error.message}. ${error.remediation}`);
  assert.ok(!(await page.content()).includes(SENTINEL), "the secret is in the page");
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  await screenshot(page, "quickstart-wrong-secret.png");
});

test("no secret in any console message", (t) => {
  assertCleanConsole(t, demo.consoleMessages);
});

test("README.md quotes the browser quick start of js-demo/quickstart.html as it is", () => {
  const page = readFileSync(`${ROOT}js-demo/quickstart.html`, "utf8");
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END, start);
  assert.ok(start >= 0 && end > start, "js-demo/quickstart.html lost its README markers");
  const quote = page.slice(start + BEGIN.length, end);
  assert.ok(
    readFileSync(`${ROOT}README.md`, "utf8").includes(quote),
    "README.md's browser quick start differs from js-demo/quickstart.html: paste the lines " +
      `between the page's markers (${BEGIN.trim()} … ${END.trim()}) into README.md as they are:\n${quote}`,
  );
});
