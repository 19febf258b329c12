// Which tenant a script talks to: the vendor and its fields from flags or MSPKIT_*
// variables (the names of ui/vendors.js, shared with the page and the Python examples),
// or the tenant simulator the script starts itself (--simulator).

import { defaultSimulatorPath, simulatorTenants, startSimulator } from "../../lib/simulator.mjs";
import { UsageError } from "../../lib/options.mjs";
import { VENDOR_IDS, VENDORS, clientOptions } from "../../ui/vendors.js";

const ALIASES = { warehouse: "vsa9_warehouse" };
const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every field flag of every vendor (--tenant-url, --token-secret, ...). */
const FIELD_FLAGS = Object.fromEntries(
  Object.values(VENDORS).flatMap(({ fields }) => fields.map((field) => [kebab(field.name), { type: "string" }])),
);

/** The parseArgs options for choosing a tenant. */
export const TENANT_OPTIONS = {
  vendor: { type: "string", default: "vsax" },
  ...FIELD_FLAGS,
  "allow-insecure-loopback": { type: "boolean", default: false },
  "zone-discovery-url": { type: "string" },
  simulator: { type: "boolean", default: false },
  "sim-args": { type: "string", default: "--size small" },
  "timeout-ms": { type: "string", default: "30000" },
};

/** The --help text for those options. */
export function tenantHelp() {
  const vendors = Object.entries(VENDORS).map(([id, { label, fields }]) => {
    const rows = fields.map((field) => {
      const notes = [field.secret && "secret", field.choices?.join(" | "), field.optional && "optional"];
      return `    --${kebab(field.name).padEnd(18)} $${field.env.padEnd(28)} ${notes.filter(Boolean).join(", ")}`.trimEnd();
    });
    return [`  ${id === "vsa9_warehouse" ? "warehouse" : id} (${label}):`, ...rows].join("\n");
  });
  return `Tenant (a flag wins over its variable; pass secrets in the variables, not as flags,
which other users can read in the process list and which stay in shell history):
  --vendor NAME            vsax (default), vsa9, warehouse or autotask
${vendors.join("\n")}
  --allow-insecure-loopback  permit plain http to this machine (a local simulator)
  --zone-discovery-url URL   Autotask zone discovery at URL instead of Autotask's own
  --simulator              start the tenant simulator ($MSPKIT_SIM, default
                           target/debug/mspkit-sim) and use its tenant; flags still win
  --sim-args "ARGS"        the simulator's arguments (default "--size small")
  --timeout-ms N           per request (default 30000)`;
}

/** The vendor id from --vendor. */
export function vendorOf(values) {
  const vendor = ALIASES[values.vendor] ?? values.vendor;
  if (!VENDOR_IDS.includes(vendor)) {
    throw new UsageError(`--vendor takes vsax, vsa9, warehouse or autotask, not "${values.vendor}"`);
  }
  return vendor;
}

/**
 * The Client options for the chosen tenant, and the simulator when --simulator started
 * one (stop it when done). Throws UsageError naming a missing field and where to set it.
 */
export async function resolveTenant(values, env = process.env) {
  const vendor = vendorOf(values);
  const simulator = values.simulator
    ? await startSimulator(defaultSimulatorPath(), values["sim-args"].split(/\s+/).filter(Boolean))
    : null;
  try {
    const tenant = simulator ? simulatorTenants(simulator.line)[vendor] : { values: {} };
    const fields = {};
    for (const field of VENDORS[vendor].fields) {
      const value = values[kebab(field.name)] ?? (simulator ? tenant.values[field.name] : env[field.env]) ?? "";
      if (value.trim() === "" && !field.optional) {
        throw new UsageError(`no ${field.label.toLowerCase()} for ${VENDORS[vendor].label}: set $${field.env} (or pass --${kebab(field.name)})`);
      }
      fields[field.name] = value;
    }
    const options = clientOptions(vendor, fields, {
      allowInsecureLoopback: values["allow-insecure-loopback"] || Boolean(tenant.allowInsecureLoopback),
      zoneDiscoveryUrl: values["zone-discovery-url"] ?? tenant.zoneDiscoveryUrl ?? "",
    });
    return { vendor, factory: VENDORS[vendor].factory, options, simulator };
  } catch (error) {
    await simulator?.stop();
    throw error;
  }
}
