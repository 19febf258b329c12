// The relay check for servers that forward requests a page built (js-demo/server.mjs):
// the core decides; this turns its error data into MspkitErrors.

import {
  checkRelayRequest as nativeCheck,
  relayAddressAllowed as nativeAddressAllowed,
} from "./mspkit_wasm.js";
import { converted } from "./errors.js";

export function checkRelayRequest(request, policy) {
  try {
    return nativeCheck(request, policy);
  } catch (thrown) {
    throw converted(thrown);
  }
}

export function relayAddressAllowed(ip, policy) {
  try {
    return nativeAddressAllowed(ip, policy);
  } catch (thrown) {
    throw converted(thrown);
  }
}
