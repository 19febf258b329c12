// The List results: a table filled page by page and a progress bar. The bar's goal is
// what the list will deliver within the page limit: the vendor's total when it sends
// one, else the page limit times the page size; it is set full when the list ends.

import { cellText, count, el } from "./dom.js";
import { columnsFor } from "./vendors.js";

export class RecordsView {
  constructor(section) {
    this.section = section;
    this.progress = section.querySelector("progress");
    this.caption = section.querySelector("#progress-text");
    this.table = section.querySelector("table");
  }

  /** Empties the table for a new list of `vendor`'s `noun` (at most `limit` records). */
  start(vendor, noun, limit) {
    Object.assign(this, { vendor, noun, limit, rows: 0, columns: null });
    this.table.replaceChildren();
    this.section.hidden = false;
    this.progress.max = limit;
    this.progress.removeAttribute("value"); // indeterminate until the first page
    this.caption.textContent = `Listing ${noun}…`;
  }

  /** One PageEvent: its records become rows; the bar moves. */
  page({ items, total, pageNumber }) {
    if (this.columns === null) this.renderHead(items);
    const body = this.table.tBodies[0];
    for (const item of items) body.append(el("tr", {}, this.columns.map((name) => el("td", {}, cellText(item[name])))));
    this.rows += items.length;
    this.progress.max = Math.max(1, total != null ? Math.min(total, this.limit) : this.limit);
    this.progress.value = Math.min(this.rows, this.progress.max);
    const of = total != null ? ` of ${count(total)}` : "";
    this.caption.textContent = `Page ${count(pageNumber)} · ${count(this.rows)}${of} ${this.noun}`;
  }

  /** The list ended (all pages, or the page limit): the bar is full. */
  finish() {
    if (this.columns === null) this.renderHead([]);
    this.progress.max = Math.max(1, this.rows);
    this.progress.value = this.progress.max;
  }

  renderHead(items) {
    this.columns = columnsFor(this.vendor, items);
    this.table.append(
      el("caption", { class: "visually-hidden" }, `First records: ${this.noun}`),
      el("thead", {}, el("tr", {}, this.columns.map((name) => el("th", { scope: "col" }, name)))),
      el("tbody"),
    );
  }
}
