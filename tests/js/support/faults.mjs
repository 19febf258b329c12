// Planning the simulator's faults by request position, and reading its counters once the
// requests a fault held up have ended.

import { setTimeout as sleep } from "node:timers/promises";

const keyOf = (fault) => JSON.stringify(Object.fromEntries(Object.entries(fault).sort(([a], [b]) => a.localeCompare(b))));

/** Fault rules that make the n-th request on `path` (retries count) suffer `plan.get(n)`
 * (a fault's fields: kind, status, ...). The simulator tries rules in order and a rule
 * counts only the requests that reach it (an earlier rule that fires takes the request),
 * so each rule's `at` is given in its own count. */
export function scheduledRules(vendor, path, plan) {
  const positions = [...plan.keys()].sort((a, b) => a - b);
  const kinds = [...new Set(positions.map((p) => keyOf(plan.get(p))))];
  const reached = new Map(kinds.map((k) => [k, 0]));
  const at = new Map(kinds.map((k) => [k, []]));
  for (let position = 1; position <= (positions.at(-1) ?? 0); position++) {
    const planned = plan.has(position) ? keyOf(plan.get(position)) : null;
    for (const key of kinds) {
      reached.set(key, reached.get(key) + 1);
      if (key === planned) {
        at.get(key).push(reached.get(key));
        break;
      }
    }
  }
  return kinds.map((key) => ({ vendor, path, ...JSON.parse(key), at: at.get(key) }));
}

/** The simulator's stats once `done(stats)` holds. It counts a request when it ends, and
 * a slow answer the client gave up on ends later on the server. */
export async function settledStats(sim, done, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let stats = await sim.stats();
  while (!done(stats) && Date.now() < deadline) {
    await sleep(50);
    stats = await sim.stats();
  }
  return stats;
}
