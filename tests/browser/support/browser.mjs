// What the browser test files share: the simulator, the demo server on it and Debian's
// headless Chromium (/usr/bin/chromium, driven by playwright-core) for one file; fresh
// pages whose console is collected; screenshots; and the check that the sentinel secret
// never reached the console.

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { DemoServer } from "../../js/support/demo_server.mjs";
import { SENTINEL, Sim } from "../../js/support/sim.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const SCREENSHOTS = fileURLToPath(new URL("../screenshots/", import.meta.url));

/**
 * Registers the hooks of a test file: the simulator (started with `simArgs`), the demo
 * server on it and Chromium, all started in `before` and stopped in `after`. Returns
 * `{ sim, server, consoleMessages, open }`; `sim` and `server` are set once `before` ran.
 */
export function useDemo(simArgs = []) {
  let browser;
  const demo = {
    sim: undefined,
    server: undefined,
    /** Every console message and page error of the file's pages, as "type: text". */
    consoleMessages: [],
    /** A fresh page (closed after test `t`) at `path` on the demo server. */
    async open(t, path = "/") {
      const context = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
      t.after(() => context.close());
      const page = await context.newPage();
      page.on("console", (message) => demo.consoleMessages.push(`${message.type()}: ${message.text()}`));
      page.on("pageerror", (error) => demo.consoleMessages.push(`pageerror: ${error.message}\n${error.stack}`));
      await page.goto(new URL(path, demo.server.url).href);
      return page;
    },
  };
  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run \`make browser-deps\` (apt-get install chromium)`);
    demo.sim = await Sim.start(simArgs);
    demo.server = await DemoServer.start(["--sim-line", JSON.stringify(demo.sim.line)]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    await demo.server?.stop();
    await demo.sim?.stop();
  });
  return demo;
}

/** No console message holds the sentinel secret, and no page threw. */
export function assertCleanConsole(t, messages) {
  t.diagnostic(`${messages.length} console messages: ${messages.join(" | ")}`);
  for (const message of messages) assert.ok(!message.includes(SENTINEL), `console: ${message}`);
  assert.ok(!messages.some((message) => message.startsWith("pageerror")), messages.join("\n"));
}

/** Saves the whole page to tests/browser/screenshots/ (git-ignored), for a person to look at. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}`, fullPage: true });
}
