// Where randomness comes from: Web Crypto (browsers, Node >= 19; node.js supplies
// node:crypto's for Node 18). The core never reads the OS: jitter seeds and the VSA 9
// legacy nonce are drawn here and passed in.

let source = globalThis.crypto;

/** Uses `crypto` (anything with getRandomValues) as the random source. */
export function useRandomSource(crypto) {
  source = crypto;
}

/** `n` random 32-bit words. */
export function randomWords(n) {
  if (!source || typeof source.getRandomValues !== "function") {
    throw new Error("mspkit needs Web Crypto (crypto.getRandomValues) for its random seeds");
  }
  return source.getRandomValues(new Uint32Array(n));
}
