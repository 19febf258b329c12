// Command-line parsing shared by the demo server and the scripts: node:util's parseArgs,
// with `--name value` always read as a value even when it starts with a dash
// (`--sim-args "--size small"`), and every problem as a UsageError (exit status 2).

import { parseArgs } from "node:util";

export class UsageError extends Error {}

/** parseArgs over `argv` with `options` (its option config); positionals allowed. */
export function parseOptions(argv, options) {
  const joined = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : null;
    if (options[name]?.type === "string" && i + 1 < argv.length) joined.push(`--${name}=${argv[++i]}`);
    else joined.push(argv[i]);
  }
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
}

/** A whole number within [min, max] from the text of option `name`. */
export function integerOption(name, text, min, max) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}
