// The demo page: builds an mspkit Client from the form and runs a connection test or
// lists the first pages, straight to the tenant or through the demo server's relay.
// Nothing here writes a secret anywhere: not to the DOM (outside the password inputs),
// not to storage, not to the console.

import { el } from "./ui/dom.js";
import { fillSimulator, readForm, renderVendorFields, showVendor } from "./ui/form.js";
import { RecordsView } from "./ui/records.js";
import { relayFetch } from "./ui/relay-fetch.js";
import { showBusy, showError, showInfo, showListed, showReport } from "./ui/status.js";
import { clientOptions, VENDORS } from "./ui/vendors.js";

const PAGE_SIZE = 100;
const ROUTE_NAMES = { relay: "via the demo server's relay", direct: "direct" };

const form = document.querySelector("#tenant");
const status = document.querySelector("#status");
const records = new RecordsView(document.querySelector("#results"));
const buttons = [...form.querySelectorAll("button")];

const credentials = form.querySelector("#credentials");
renderVendorFields();
showVendor(form, credentials, form.elements.vendor.value);
form.elements.vendor.addEventListener("change", () => showVendor(form, credentials, form.elements.vendor.value));

// The package's browser entry fetches and compiles the wasm module as it loads.
const mspkit = await import("./pkg/web.js").catch(() => null);
if (mspkit === null) {
  showError(status, {
    message: "The mspkit package did not load",
    remediation: "Build it with `make wasm` and reload; the demo server serves it from bindings-wasm/pkg.",
  });
  buttons.forEach((button) => (button.disabled = true));
} else {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(event.submitter?.value === "list" ? list : testConnection);
  });
  offerSimulator();
}

/** Runs one action with the buttons disabled; any failure ends in the status region. */
async function run(action) {
  if (!form.reportValidity()) return;
  const settings = readForm(form);
  const { Client } = mspkit;
  let client;
  buttons.forEach((button) => (button.disabled = true));
  try {
    const options = clientOptions(settings.vendor, settings.values, settings);
    client = Client[VENDORS[settings.vendor].factory](options);
    const fetch = settings.route === "relay" ? relayFetch(client.vendor) : globalThis.fetch.bind(globalThis);
    await action(client, { ...settings, fetch, routeName: ROUTE_NAMES[settings.route] });
  } catch (error) {
    // A constructor's invalid_config, a failed list, or a bug: shown, never logged.
    showError(status, error, { route: ROUTE_NAMES[settings.route], requests: client?.requestsSent });
  } finally {
    client?.free();
    buttons.forEach((button) => (button.disabled = false));
  }
}

async function testConnection(client, { vendor, fetch, routeName }) {
  showBusy(status, `Testing the connection to ${VENDORS[vendor].label}…`);
  const report = await client.testConnection({ fetch });
  const context = { route: routeName, requests: client.requestsSent };
  const refusal = fetch.refusal?.();
  if (!report.ok && refusal) showError(status, refusal, context);
  else showReport(status, report, context);
}

async function list(client, { vendor, fetch, routeName, maxPages }) {
  const { resource, noun } = VENDORS[vendor].list;
  showBusy(status, `Listing ${noun} from ${VENDORS[vendor].label}…`);
  records.start(vendor, noun, maxPages * PAGE_SIZE);
  let last = null;
  try {
    for await (const page of client.pages(resource, { fetch, pageSize: PAGE_SIZE })) {
      records.page(page);
      last = page;
      if (page.pageNumber >= maxPages) break;
    }
  } catch (error) {
    throw fetch.refusal?.() ?? error;
  }
  records.finish();
  showListed(status, {
    noun,
    rows: records.rows,
    total: last?.total ?? null,
    pages: last?.pageNumber ?? 0,
    stopped: last !== null && last.pageNumber >= maxPages && records.rows < (last.total ?? Infinity),
    route: routeName,
    requests: client.requestsSent,
  });
}

/** In simulator mode (GET /config says so) the page offers to fill in its tenants. */
async function offerSimulator() {
  const config = await fetch("/config", { cache: "no-store" })
    .then((response) => response.json())
    .catch(() => null);
  if (!config?.simulator) return;
  const button = el("button", { type: "button", class: "secondary", id: "fill-simulator" }, "Fill simulator tenant");
  button.addEventListener("click", () => {
    fillSimulator(form, config.tenants);
    showInfo(status, "Filled in the simulator's tenants. Press Test or List.");
  });
  form.querySelector(".actions").append(button);
  buttons.push(button);
}
