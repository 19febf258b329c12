// The relay check for servers that forward requests a page built (js-demo/server.mjs):
// the core decides; this turns its error data into MspkitErrors.

import {
  checkRelayRequest as nativeCheck,
  relayAddressAllowed as nativeAddressAllowed,
} from "./mspkit_wasm.js";
import { callNative } from "./errors.js";

export function checkRelayRequest(request, policy) {
  return callNative(() => nativeCheck(request, policy));
}

export function relayAddressAllowed(ip, policy) {
  return callNative(() => nativeAddressAllowed(ip, policy));
}
