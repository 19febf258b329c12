// Types of the npm package "mspkit": the sans-IO client core (WebAssembly) and its fetch
// host drivers. Times are Unix milliseconds (Date.now()). No error message, event,
// report or exported state ever contains a secret; only Request.headers carry the
// credentials the host must send.

// ------------------------------------------------------------------ errors

/** The stable error codes shared by every mspkit binding. */
export type ErrorCode =
  | "invalid_config"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "rate_limited"
  | "server_error"
  | "bad_response"
  | "transport"
  | "unsafe_link"
  | "budget_exhausted";

export declare const ERROR_CODES: readonly ErrorCode[];

/** The fields of an MspkitError. */
export interface MspkitErrorFields {
  code: ErrorCode;
  status?: number | null;
  message: string;
  remediation?: string;
  vendorMessage?: string | null;
  retryable?: boolean;
}

/** Every error mspkit throws, and the `error` of failed events and reports. */
export declare class MspkitError extends Error {
  constructor(fields: MspkitErrorFields);
  readonly name: "MspkitError";
  /** What kind of failure, as a stable string. */
  readonly code: ErrorCode;
  /** The HTTP status that caused it, if any. */
  readonly status: number | null;
  /** What the user should do about it. */
  readonly remediation: string;
  /** What the server said, if anything (secrets removed). */
  readonly vendorMessage: string | null;
  /** True when repeating the same request later could succeed. */
  readonly retryable: boolean;
  toJSON(): {
    name: "MspkitError";
    code: ErrorCode;
    status: number | null;
    message: string;
    remediation: string;
    vendorMessage: string | null;
    retryable: boolean;
  };
}

// ------------------------------------------------------------------ options

/** `[limit, perMs]`: at most `limit` requests within any `perMs` milliseconds. */
export type RateWindow = readonly [limit: number, perMs: number];

/** Endpoint classes with limits of their own (`default` applies to every request). */
export type EndpointClass = "default" | "assets" | "notify" | "groupPackage";

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = never retry). Default 5. */
  maxAttempts?: number;
  /** First backoff ceiling in ms; doubles each attempt. Default 1000. */
  baseMs?: number;
  /** Largest backoff ceiling in ms. Default 60000. */
  capMs?: number;
  /** No retry later than this after the first attempt. Default 600000. */
  maxTotalMs?: number;
  /** Smallest wait after a 429 without Retry-After. Default 5000. */
  rateLimitedFloorMs?: number;
}

/** Options every constructor takes; each has the vendor's documented default. */
export interface ClientOptions {
  /** Permit http:// for loopback hosts only (127.0.0.0/8, ::1, localhost): the simulator. */
  allowInsecureLoopback?: boolean;
  /** Seed for retry jitter; default from crypto.getRandomValues. A number or a BigInt. */
  jitterSeed?: number | bigint;
  /** Autotask zone discovery endpoint (tests point it at a local server). */
  zoneDiscoveryUrl?: string;
  /** How Autotask lists page past the first 500 records. */
  autotaskPaging?: "nextLink" | "keyset";
  /** Requests in flight at once over all jobs. Default 1. */
  maxInFlight?: number;
  /** Replaces the rate windows of a class. */
  windows?: Partial<Record<EndpointClass, readonly RateWindow[]>>;
  /** VSA X failed-request thresholds (default "documented"; other vendors "off"). */
  failureGuard?: "documented" | "announced" | "off" | readonly RateWindow[];
  /** Autotask: the share of the tenant's 10,000 requests/hour this client may use. Default 0.5. */
  autotaskShare?: number;
  /** Longest wait for the failure guard or a server-named Retry-After. Default 900000. */
  maxWaitMs?: number;
  /** Retry bounds. */
  retry?: RetryPolicy;
  /** Names this process in shared (exported) pacing state. */
  instance?: string;
}

export interface VsaxOptions extends ClientOptions {
  /** What the user pasted: `acme.vsax.net`, `https://acme.vsax.net/api/v3/`, ... */
  tenantUrl: string;
  tokenId: string;
  tokenSecret: string;
}

export interface Vsa9Options extends ClientOptions {
  serverUrl: string;
  username: string;
  /** The personal access token (auth "pat") or the password (auth "password"). */
  token: string;
  /** Default "pat". */
  auth?: "pat" | "password";
  /** Legacy logon's random number; default from crypto.getRandomValues. */
  nonce?: number | bigint;
}

export interface Vsa9WarehouseOptions extends ClientOptions {
  serverUrl: string;
  username: string;
  /** A token with the "Data Warehouse API" scope. */
  token: string;
}

export interface AutotaskOptions extends ClientOptions {
  username: string;
  secret: string;
  integrationCode: string;
  /** Without it, the first request discovers the zone. */
  zoneUrl?: string | null;
  impersonationResourceId?: number | null;
}

/** One Autotask filter item, e.g. `{ op: "eq", field: "isActive", value: true }`. */
export interface AutotaskFilterItem {
  op: string;
  field?: string;
  value?: JsonValue;
  udf?: boolean;
  items?: AutotaskFilterItem[];
}

export interface ListOptions {
  /** OData `$filter` text (VSA X, VSA 9, Data Warehouse) or Autotask filter items. */
  filter?: string | AutotaskFilterItem | readonly AutotaskFilterItem[] | null;
  /** OData `$orderby` such as "Name desc" (not Autotask). */
  orderBy?: string | null;
  /** Records per page, clamped to the vendor's maximum. */
  pageSize?: number | null;
  /** Fields to return (Autotask includeFields, Data Warehouse $select). */
  fields?: readonly string[] | null;
  /** Resume after the page this cursor came from. */
  cursor?: string | null;
}

// ------------------------------------------------------------------ actions and events

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** One record as the vendor sent it. */
export type JsonObject = { [key: string]: JsonValue };

export type Vendor = "vsax" | "vsa9" | "vsa9_warehouse" | "autotask";

/** An HTTP request to send exactly as given. */
export interface Request {
  /** Hand this back to handleResponse / handleTransportError. */
  id: number;
  method: "GET" | "POST";
  url: string;
  /** `[name, value]` pairs, credentials included. */
  headers: [name: string, value: string][];
  body: string | null;
}

export interface SendAction {
  type: "send";
  request: Request;
}

/** Send nothing before `untilMs`; poll again then. */
export interface WaitAction {
  type: "wait";
  untilMs: number;
}

export interface EventAction {
  type: "event";
  event: MspkitEvent;
}

export type Action = SendAction | WaitAction | EventAction;

export interface PageEvent {
  kind: "page";
  job: number;
  /** The records of this page. */
  items: JsonObject[];
  itemCount: number;
  /** The vendor's total for the whole list, when it sends one. */
  total: number | null;
  /** 1 for the first page (continues across resumes). */
  pageNumber: number;
  /** Pass as `cursor` to resume after this page. */
  cursor: string;
}

export interface DoneEvent {
  kind: "done";
  job: number;
  requestsMade: number;
  /** Records this job delivered. */
  itemCount: number;
}

export interface FailedEvent {
  kind: "failed";
  job: number;
  error: MspkitError;
  requestsMade: number;
}

export interface ConnectionEvent {
  kind: "connection";
  job: number;
  report: ConnectionReport;
}

export type MspkitEvent = PageEvent | DoneEvent | FailedEvent | ConnectionEvent;

export interface ConnectionReport {
  ok: boolean;
  vendor: Vendor;
  /** The normalised API base (Autotask: the zone, once known). */
  baseUrl: string | null;
  /** Organisations (VSA X, VSA 9) or companies (Autotask); null for the Data Warehouse. */
  organizationCount: number | null;
  /** One line for a person: "Connected to Kaseya VSA X: 42 organizations". */
  message: string;
  error: MspkitError | null;
  requestsMade: number;
}

// ------------------------------------------------------------------ host drivers

/** The fetch the drivers call (globalThis.fetch by default). */
export type FetchFunction = (
  url: string,
  init: {
    method: string;
    headers: [string, string][];
    body: string | null;
    redirect: "manual";
    signal: AbortSignal;
  },
) => Promise<Response>;

export interface DriverOptions {
  fetch?: FetchFunction;
  /** Per request, body included. Default 30000. */
  timeoutMs?: number;
}

export interface PagesOptions extends ListOptions, DriverOptions {}

/** Response headers as handleResponse accepts them. */
export type HeadersLike =
  | readonly (readonly [string, string])[]
  | Iterable<readonly [string, string]>
  | Record<string, string>
  | null
  | undefined;

/** A response body: text or bytes. */
export type BodyLike = string | Uint8Array | ArrayBuffer | ArrayBufferView | null | undefined;

export type TransportErrorKind = "timeout" | "connect" | "other";

/** One connection to one tenant; several jobs may run at once. */
export declare class Client {
  private constructor();
  static vsax(options: VsaxOptions): Client;
  static vsa9(options: Vsa9Options): Client;
  static vsa9Warehouse(options: Vsa9WarehouseOptions): Client;
  static autotask(options: AutotaskOptions): Client;

  readonly vendor: Vendor;
  /** The normalised API base; for Autotask the zone once known. */
  readonly baseUrl: string | null;
  /** Requests the host drivers have sent. */
  requestsSent: number;
  /** Milliseconds the host drivers have waited for pacing. */
  waitMs: number;

  /** Starts a connection test; returns its job id. */
  startTestConnection(): number;
  /** Starts listing `resource`; invalid options throw here, before anything is sent. */
  startList(resource: string, options?: ListOptions): number;
  /** Stops `job`: it sends nothing more and its undelivered events are dropped (a
   * request of it in flight may still be handed back; it is ignored). False when it had
   * already ended and delivered everything. */
  cancel(job: number): boolean;
  /** The next action, or null when nothing can happen until a response arrives. */
  poll(nowMs: number): Action | null;
  handleResponse(id: number, status: number, headers: HeadersLike, body: BodyLike, nowMs: number): void;
  handleTransportError(id: number, kind: TransportErrorKind, message: string, nowMs: number): void;
  /** Pacing and the Autotask zone as JSON text; never a secret. */
  exportState(): string;
  importState(state: string): void;

  /** Runs a connection test with fetch; failures are reported, not thrown. */
  testConnection(options?: DriverOptions): Promise<ConnectionReport>;
  /** Lists `resource` with fetch, page by page; throws the job's MspkitError. */
  pages(resource: string, options?: PagesOptions): AsyncGenerator<PageEvent, void, undefined>;
  /** Frees the WebAssembly memory now rather than when collected. */
  free(): void;
}

// ------------------------------------------------------------------ relay

/** A request a page built with mspkit and asked a relay server to forward. */
export interface RelayRequest {
  vendor: Vendor;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | null;
}

/** What a relay's operator permits beyond the vendors' own domains. */
export interface RelayPolicy {
  /** Forward to loopback hosts, over http too (a local simulator). Default false. */
  simulator?: boolean;
  /** Extra hosts: an exact name ("vsa.example.com") or a suffix with a leading dot
   * (".example.com", subdomains only); on-premises VSA 9 servers need this. */
  allowHosts?: readonly string[];
}

/** The request as the relay should send it (only mspkit's own headers are kept). */
export interface RelayTarget {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
}

/**
 * Decides whether a relay may forward `request`: only https to the vendor's API base on a
 * vendor host (VSA X: vsax.net, kaseya.net, kaseya.com; VSA 9: kaseya.net, kaseya.com;
 * Autotask: autotask.net) or an allowed host, GET or POST, with mspkit's own headers.
 * IP literals, loopback (outside simulator mode), userinfo and fragments are refused.
 * Throws MspkitError `unsafe_link` when refused (nothing may be sent), `invalid_config`
 * when the request or policy is malformed.
 */
export declare function checkRelayRequest(request: RelayRequest, policy?: RelayPolicy): RelayTarget;

/** True when a relay may connect to `ip`, an address an allowed host name resolved to:
 * public unicast only, loopback only in simulator mode. Guards against DNS pointing an
 * allowed name at the relay's own network. */
export declare function relayAddressAllowed(ip: string, policy?: RelayPolicy): boolean;
