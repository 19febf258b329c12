// A typed tour of the npm package "mspkit", checked by `tsc --noEmit --strict` (it is
// not run): constructors and options, the host drivers, a hand-written poll loop, events
// narrowed by kind, and MspkitError.

import {
  Client,
  ERROR_CODES,
  MspkitError,
  type Action,
  type ConnectionReport,
  type ErrorCode,
  type JsonObject,
  type MspkitEvent,
  type PageEvent,
  type VsaxOptions,
} from "mspkit";

const options: VsaxOptions = {
  tenantUrl: "acme.vsax.net",
  tokenId: process.env.VSAX_TOKEN_ID ?? "",
  tokenSecret: process.env.VSAX_TOKEN_SECRET ?? "",
  windows: { default: [[20, 2000]], assets: [[60, 3_600_000]] },
  failureGuard: "documented",
  retry: { maxAttempts: 4, baseMs: 10 },
  jitterSeed: 42n,
};

export async function connect(): Promise<string> {
  const client = Client.vsax(options);
  const report: ConnectionReport = await client.testConnection({ timeoutMs: 10_000 });
  if (!report.ok && report.error) {
    const code: ErrorCode = report.error.code;
    return `${code}: ${report.error.message} ${report.error.remediation}`;
  }
  const count: number | null = report.organizationCount;
  return `${report.message} (${count ?? "?"}; ${client.requestsSent} requests, ${client.waitMs} ms waited)`;
}

export async function exportCompanies(write: (line: string) => void): Promise<string | undefined> {
  const client = Client.autotask({
    username: "api@example.com",
    secret: "s",
    integrationCode: "CODE",
    autotaskPaging: "keyset",
    autotaskShare: 0.25,
  });
  let cursor: string | undefined;
  try {
    for await (const page of client.pages("Companies", {
      filter: [{ op: "eq", field: "isActive", value: true }],
      fields: ["companyName"],
      fetch: (url, init) => fetch(url, init),
    })) {
      for (const company of page.items) write(JSON.stringify(company));
      cursor = page.cursor;
    }
  } catch (error) {
    if (error instanceof MspkitError && error.retryable) return cursor;
    throw error;
  }
  return undefined;
}

function describe(event: MspkitEvent): string {
  switch (event.kind) {
    case "page": {
      const first: JsonObject | undefined = event.items[0];
      return `page ${event.pageNumber} of job ${event.job}: ${event.itemCount} (${event.total ?? "?"}) ${JSON.stringify(first)}`;
    }
    case "done":
      return `done after ${event.requestsMade} requests, ${event.itemCount} records`;
    case "failed":
      return `${event.error.code} (HTTP ${event.error.status ?? "-"}): ${event.error.vendorMessage ?? ""}`;
    case "connection":
      return event.report.message;
  }
}

/** The loop the drivers run, by hand: the host does HTTP, the core decides. */
export async function ownLoop(client: Client, resource: string): Promise<PageEvent[]> {
  const pages: PageEvent[] = [];
  client.startList(resource, { pageSize: 50, orderBy: "Name" });
  for (let action: Action | null = client.poll(Date.now()); action; action = client.poll(Date.now())) {
    switch (action.type) {
      case "send": {
        const { id, method, url, headers, body } = action.request;
        try {
          const response = await fetch(url, { method, headers, body, redirect: "manual" });
          client.handleResponse(id, response.status, response.headers, new Uint8Array(await response.arrayBuffer()), Date.now());
        } catch (error) {
          client.handleTransportError(id, "other", String(error), Date.now());
        }
        break;
      }
      case "wait":
        await new Promise((resolve) => setTimeout(resolve, action.untilMs - Date.now()));
        break;
      case "event":
        console.log(describe(action.event));
        if (action.event.kind === "page") pages.push(action.event);
        if (action.event.kind === "failed") throw action.event.error;
        break;
    }
  }
  const saved: string = client.exportState();
  Client.vsa9({ serverUrl: "vsa.example.com", username: "u", token: "t", auth: "password" }).importState(saved);
  return pages;
}

const codes: readonly ErrorCode[] = ERROR_CODES;
const error = new MspkitError({ code: "transport", message: "x" });
export const summary = { codes, json: error.toJSON(), name: error.name };

// The types are real: each of these is a compile error.
export function mistakes(client: Client, event: MspkitEvent): void {
  // @ts-expect-error tokenSecret is required
  Client.vsax({ tenantUrl: "acme.vsax.net", tokenId: "id" });
  // @ts-expect-error unknown option
  Client.vsax({ ...options, tokenSecrt: "s" });
  // @ts-expect-error the kind is one of four
  client.handleTransportError(1, "dns", "x", Date.now());
  // @ts-expect-error items exist only on page events
  void event.items;
  // @ts-expect-error autotaskPaging is "nextLink" or "keyset"
  Client.autotask({ username: "u", secret: "s", integrationCode: "c", autotaskPaging: "pages" });
}
