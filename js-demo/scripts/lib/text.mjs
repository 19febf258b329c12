// What the scripts print about a connection or a failure: the report's own message,
// and for an error what to do about it. mspkit's reports and errors never contain a
// secret, so this prints them whole.

/** The lines for an MspkitError (or any error: its message). */
export function errorLines(error) {
  const lines = [error?.message ?? String(error)];
  if (error?.remediation) lines.push(`  What to do: ${error.remediation}`);
  if (error?.vendorMessage) lines.push(`  The server said: ${error.vendorMessage}`);
  const code = [error?.code, error?.status && `HTTP ${error.status}`].filter(Boolean).join(", ");
  if (code) lines.push(`  (${code})`);
  return lines;
}

/** The lines for a ConnectionReport that is ok. */
export function reportLines(report) {
  return [
    report.message,
    `  API base: ${report.baseUrl ?? "(not known)"}`,
    `  requests: ${report.requestsMade}`,
  ];
}
