// The status region (aria-live): what is happening, the connection report, or an error
// with what to do about it. Everything shown comes from mspkit's reports and errors,
// which never contain a secret.

import { count, el } from "./dom.js";

/** Replaces the region's content; `tone` is "busy", "info", "ok" or "error" (for CSS). */
function show(region, tone, ...children) {
  region.dataset.tone = tone;
  region.setAttribute("aria-busy", String(tone === "busy"));
  region.replaceChildren(...children);
}

export function showBusy(region, text) {
  show(region, "busy", el("p", { class: "headline" }, text));
}

export function showInfo(region, text) {
  show(region, "info", el("p", { class: "headline" }, text));
}

/** A ConnectionReport: its message, or its error. */
export function showReport(region, report, { route, requests }) {
  if (!report.ok) return showError(region, report.error, { route, requests });
  show(
    region,
    "ok",
    el("p", { class: "headline" }, report.message),
    el("p", { class: "details" }, `API base ${report.baseUrl ?? "(not known)"} · ${requestsText(requests)} · ${route}`),
  );
}

/** An MspkitError (or the relay's refusal, same fields) with its remediation. */
export function showError(region, error, { route, requests } = {}) {
  const code = [error.code, error.status].filter(Boolean).join(", ");
  show(
    region,
    "error",
    el("p", { class: "headline" }, error.message ?? String(error)),
    error.remediation ? el("p", { class: "remediation" }, el("strong", {}, "What to do: "), error.remediation) : null,
    error.vendorMessage ? el("p", { class: "vendor-message" }, `The server said: ${error.vendorMessage}`) : null,
    el("p", { class: "details" }, [code, requests !== undefined ? requestsText(requests) : null, route].filter(Boolean).join(" · ")),
  );
}

/** A finished list. */
export function showListed(region, { noun, rows, total, pages, stopped, route, requests }) {
  const of = total != null ? ` of ${count(total)}` : "";
  const headline = stopped
    ? `Listed the first ${count(pages)} pages: ${count(rows)}${of} ${noun}`
    : `Listed ${count(rows)} ${noun} in ${count(pages)} ${pages === 1 ? "page" : "pages"}`;
  show(region, "ok", el("p", { class: "headline" }, headline), el("p", { class: "details" }, `${requestsText(requests)} · ${route}`));
}

const requestsText = (n) => `${count(n)} ${n === 1 ? "request" : "requests"}`;
