// The four vendors as the demo presents them: the fields a person fills in, how they
// become the options of mspkit's Client constructors, and what "List" lists. The page
// (app.js) and the Node scripts (scripts/) both read this, so a field has one name, one
// environment variable and one flag everywhere.

/** @typedef {{ name: string, label: string, secret?: boolean, optional?: boolean,
 *   choices?: string[], placeholder?: string, hint?: string, env?: string }} Field */

// VSA 9's REST API and its Data Warehouse share the server and the user.
const VSA9_SERVER_FIELDS = [
  { name: "serverUrl", label: "Server URL", placeholder: "vsa.example.com", env: "MSPKIT_VSA9_SERVER" },
  { name: "username", label: "User name", env: "MSPKIT_VSA9_USERNAME" },
];

/** Keys are the core's vendor ids (`client.vendor`, the relay body's `vendor`). */
export const VENDORS = {
  vsax: {
    label: "Kaseya VSA X",
    factory: "vsax",
    fields: [
      { name: "tenantUrl", label: "Tenant URL", placeholder: "acme.vsax.net", env: "MSPKIT_VSAX_TENANT" },
      { name: "tokenId", label: "Token ID", env: "MSPKIT_VSAX_TOKEN_ID" },
      { name: "tokenSecret", label: "Token secret", secret: true, env: "MSPKIT_VSAX_TOKEN_SECRET" },
    ],
    list: {
      resource: "devices",
      noun: "devices",
      columns: ["Name", "OrganizationName", "SiteName", "GroupName", "IsAgentInstalled"],
    },
  },
  vsa9: {
    label: "Kaseya VSA 9",
    factory: "vsa9",
    fields: [
      ...VSA9_SERVER_FIELDS,
      { name: "token", label: "Personal access token or password", secret: true, env: "MSPKIT_VSA9_TOKEN" },
      {
        name: "auth",
        label: "Log on with",
        choices: ["pat", "password"],
        optional: true,
        hint: "pat: a personal access token; password: the legacy hashed logon",
        env: "MSPKIT_VSA9_AUTH",
      },
    ],
    list: {
      resource: "assetmgmt/agents",
      noun: "agents",
      columns: ["ComputerName", "MachineGroup", "OSInfo", "IPAddress", "LastCheckInTime", "Online"],
    },
  },
  vsa9_warehouse: {
    label: "Kaseya VSA 9 Data Warehouse",
    factory: "vsa9Warehouse",
    fields: [
      ...VSA9_SERVER_FIELDS,
      {
        name: "token",
        label: "Data Warehouse token",
        secret: true,
        hint: "a token with the Data Warehouse API scope",
        env: "MSPKIT_VSA9_WAREHOUSE_TOKEN",
      },
    ],
    list: {
      resource: "Agents",
      noun: "agents",
      columns: ["ComputerName", "MachineGroup", "OperatingSystem", "IpAddress", "LastCheckinTime", "Online"],
    },
  },
  autotask: {
    label: "Autotask PSA",
    factory: "autotask",
    fields: [
      { name: "username", label: "API user name", placeholder: "api@example.com", env: "MSPKIT_AUTOTASK_USERNAME" },
      { name: "secret", label: "Secret", secret: true, env: "MSPKIT_AUTOTASK_SECRET" },
      // Not a password, but an API credential all the same: kept out of sight like one.
      { name: "integrationCode", label: "Integration code", secret: true, env: "MSPKIT_AUTOTASK_INTEGRATION_CODE" },
      {
        name: "zoneUrl",
        label: "Zone URL",
        optional: true,
        placeholder: "https://webservices5.autotask.net/ATServicesRest/",
        hint: "leave empty to discover the zone",
        env: "MSPKIT_AUTOTASK_ZONE_URL",
      },
    ],
    list: {
      resource: "Companies",
      noun: "companies",
      columns: ["id", "companyName", "city", "state", "phone", "isActive"],
    },
  },
};

export const VENDOR_IDS = Object.keys(VENDORS);

/**
 * The Client constructor options for `vendor` from field values (strings; empty optional
 * fields are left out) and the advanced settings a local simulator needs.
 */
export function clientOptions(vendor, values, { allowInsecureLoopback = false, zoneDiscoveryUrl = "" } = {}) {
  const options = {};
  for (const field of VENDORS[vendor].fields) {
    const value = (values[field.name] ?? "").trim();
    if (value !== "" || !field.optional) options[field.name] = value;
  }
  if (allowInsecureLoopback) options.allowInsecureLoopback = true;
  if (vendor === "autotask" && zoneDiscoveryUrl.trim() !== "") options.zoneDiscoveryUrl = zoneDiscoveryUrl.trim();
  return options;
}

/** The columns to show for `records`: the vendor's choice where the records have them,
 * else the first few fields of the first record (a real tenant may name them otherwise). */
export function columnsFor(vendor, records) {
  const first = records[0] ?? {};
  const preferred = VENDORS[vendor].list.columns.filter((name) => name in first);
  return preferred.length > 0 ? preferred : Object.keys(first).slice(0, 6);
}
