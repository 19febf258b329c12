// The tenant form: one fieldset per vendor built from ui/vendors.js (only the chosen
// vendor's is in the page), the route, and the advanced settings a local simulator
// needs. Secrets live only in password inputs; nothing here stores or logs them.

import { el } from "./dom.js";
import { VENDORS } from "./vendors.js";

// Every vendor's fieldset; only the chosen one is in the document (the others keep what
// was typed into them), so a password manager sees one login form, not four.
const fieldsets = new Map();

/** Builds the vendors' fieldsets (shown by showVendor). */
export function renderVendorFields() {
  for (const [vendor, { label, fields }] of Object.entries(VENDORS)) {
    const inputs = fields.map((field) => fieldRow(vendor, field));
    fieldsets.set(vendor, el("fieldset", { class: "vendor-fields" }, el("legend", {}, `${label} credentials`), inputs));
  }
}

function fieldRow(vendor, field) {
  const id = `${vendor}-${field.name}`;
  const hintId = field.hint ? `${id}-hint` : null;
  const common = { id, name: field.name, "aria-describedby": hintId, required: !field.optional && !field.choices };
  const control = field.choices
    ? el("select", common, field.choices.map((choice) => el("option", { value: choice }, choice)))
    : el("input", {
        ...common,
        type: field.secret ? "password" : "text",
        // Password managers must not offer to save API secrets typed into a demo.
        autocomplete: field.secret ? "new-password" : "off",
        spellcheck: "false",
        autocapitalize: "off",
        placeholder: field.placeholder,
      });
  const label = el("label", { for: id }, field.label, field.optional ? el("span", { class: "optional" }, " (optional)") : null);
  return el("div", { class: "field" }, label, control, hintId ? el("p", { id: hintId, class: "hint" }, field.hint) : null);
}

/** Puts the fields of `vendor` into `container`, and shows the advanced fields that
 * belong to it only (data-only-vendor) for it alone. */
export function showVendor(form, container, vendor) {
  container.replaceChildren(fieldsets.get(vendor));
  for (const fieldset of form.querySelectorAll("[data-only-vendor]")) {
    const mine = fieldset.dataset.onlyVendor === vendor;
    fieldset.hidden = !mine;
    fieldset.disabled = !mine;
  }
}

/** What the form says: vendor, its field values, route and advanced settings. */
export function readForm(form) {
  const vendor = form.elements.vendor.value;
  const values = {};
  for (const control of fieldsets.get(vendor).querySelectorAll("input, select")) values[control.name] = control.value;
  return {
    vendor,
    values,
    route: form.elements.route.value,
    allowInsecureLoopback: form.elements.allowInsecureLoopback.checked,
    zoneDiscoveryUrl: form.elements.zoneDiscoveryUrl.value,
    maxPages: Math.max(1, Number(form.elements.maxPages.value) || 1),
  };
}

/** Fills every vendor's fields with the simulator's tenants (from GET /config). */
export function fillSimulator(form, tenants) {
  for (const [vendor, tenant] of Object.entries(tenants)) {
    for (const [name, value] of Object.entries(tenant.values)) {
      const control = fieldsets.get(vendor)?.querySelector(`[name="${name}"]`);
      if (control) control.value = value;
    }
    if (tenant.zoneDiscoveryUrl) form.elements.zoneDiscoveryUrl.value = tenant.zoneDiscoveryUrl;
  }
  form.elements.allowInsecureLoopback.checked = true;
}
