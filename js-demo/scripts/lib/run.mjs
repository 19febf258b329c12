// How the scripts end: exit 0 on success, 1 when the tenant said no (or could not be
// reached), 2 for a usage error; messages on stderr, never a stack trace for a
// mistake a person can fix.

import { UsageError } from "../../lib/options.mjs";
import { errorLines } from "./text.mjs";

/** Runs `main` (resolves to the exit status) and exits with its status. */
export function run(name, main) {
  main().then(
    (status) => process.exit(status ?? 0),
    (error) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${name}: ${error.message}\n(${name} --help lists the options)\n`);
        process.exit(2);
      }
      process.stderr.write(`${errorLines(error).join("\n")}\n`);
      process.exit(1);
    },
  );
}
