// The public API of the npm package "mspkit"; node.js and web.js load the WebAssembly
// module first, then re-export this.

export { Client } from "./client.js";
export { ERROR_CODES, MspkitError } from "./errors.js";
export { checkRelayRequest, relayAddressAllowed } from "./relay.js";
