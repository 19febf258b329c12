// Client: the sans-IO core (NativeClient, in WebAssembly) with the contract's camelCase
// names. It supplies randomness, parses what poll returns (one JSON.parse builds a page's
// records) and turns error data into MspkitErrors. No secret is ever a property of it.

import { NativeClient } from "./mspkit_wasm.js";
import { callNative, fromData } from "./errors.js";
import { randomWords } from "./runtime.js";
import { pages, testConnection } from "./driver.js";

const PRIVATE = Symbol("mspkit.Client");
// wasm-bindgen copies a string into WebAssembly memory char by char; TextEncoder is native.
const encoder = new TextEncoder();

function make(construct, options) {
  return new Client(PRIVATE, callNative(() => construct(options, randomWords(4))));
}

export class Client {
  #native;

  constructor(token, native) {
    if (token !== PRIVATE) {
      throw new TypeError(
        "Create clients with Client.vsax(), Client.vsa9(), Client.vsa9Warehouse() or Client.autotask()",
      );
    }
    this.#native = native;
    /** Requests the host drivers (testConnection, pages) have sent. */
    this.requestsSent = 0;
    /** Milliseconds the host drivers have waited for the core's pacing. */
    this.waitMs = 0;
  }

  static vsax(options) {
    return make(NativeClient.vsax, options);
  }

  static vsa9(options) {
    return make(NativeClient.vsa9, options);
  }

  static vsa9Warehouse(options) {
    return make(NativeClient.vsa9Warehouse, options);
  }

  static autotask(options) {
    return make(NativeClient.autotask, options);
  }

  get vendor() {
    return this.#native.vendor;
  }

  get baseUrl() {
    return this.#native.baseUrl ?? null;
  }

  startTestConnection() {
    return this.#native.startTestConnection();
  }

  cancel(job) {
    return callNative(() => this.#native.cancel(job));
  }

  startList(resource, options) {
    return callNative(() => this.#native.startList(resource, options));
  }

  poll(nowMs) {
    const text = callNative(() => this.#native.poll(nowMs));
    if (text === undefined) return null;
    const action = JSON.parse(text);
    if (action.type === "event") {
      const event = action.event;
      if (event.kind === "failed") event.error = fromData(event.error);
      else if (event.kind === "connection") event.report.error = fromData(event.report.error);
    }
    return action;
  }

  handleResponse(id, status, headers, body, nowMs) {
    const bytes = typeof body === "string" ? encoder.encode(body) : body;
    callNative(() => this.#native.handleResponse(id, status, headers, bytes, nowMs));
  }

  handleTransportError(id, kind, message, nowMs) {
    callNative(() => this.#native.handleTransportError(id, kind, message, nowMs));
  }

  exportState() {
    return this.#native.exportState();
  }

  importState(state) {
    callNative(() => this.#native.importState(state));
  }

  testConnection(options) {
    return testConnection(this, options);
  }

  pages(resource, options) {
    return pages(this, resource, options);
  }

  /** Frees the WebAssembly memory now rather than when the client is collected. */
  free() {
    this.#native.free();
  }
}
