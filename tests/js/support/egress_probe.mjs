// Preloaded into the demo server by the relay tests (node --import): writes a line to
// stderr for every outgoing connection the process starts, before it starts it. A
// refusal test then proves nothing was sent anywhere, not only to the canary it can see:
// no probe line appeared while the refused request was handled.

import net from "node:net";

export const PROBE = "egress-probe connect";

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function probedConnect(...args) {
  // net.createConnection passes [options, callback] as one array; a direct call passes
  // (options[, callback]) or (port[, host][, callback]).
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === "object" && first !== null ? first : { port: first, host: args[1] };
  const where = options.path ?? `${options.host ?? "localhost"}:${options.port}`;
  process.stderr.write(`${PROBE} ${where}\n`);
  return connect.apply(this, args);
};
