// MspkitError: every error mspkit throws or delivers (event.error, report.error).

/** The stable codes, as in every mspkit binding. */
export const ERROR_CODES = Object.freeze([
  "invalid_config",
  "unauthorized",
  "forbidden",
  "not_found",
  "rate_limited",
  "server_error",
  "bad_response",
  "transport",
  "unsafe_link",
  "budget_exhausted",
]);

export class MspkitError extends Error {
  constructor({ code, status = null, message, remediation = "", vendorMessage = null, retryable = false }) {
    super(message);
    this.code = code;
    this.status = status;
    this.remediation = remediation;
    this.vendorMessage = vendorMessage;
    this.retryable = retryable;
  }

  toJSON() {
    const { name, code, status, message, remediation, vendorMessage, retryable } = this;
    return { name, code, status, message, remediation, vendorMessage, retryable };
  }
}
MspkitError.prototype.name = "MspkitError";

/** An MspkitError from the fields the native module sends (marked `mspkit: true`). */
export function fromData(data) {
  return data == null ? null : new MspkitError(data);
}

/** What to throw for a value the native module threw: its data as an MspkitError; a
 * trap or a JS exception unchanged. */
export function converted(thrown) {
  return thrown !== null && typeof thrown === "object" && thrown.mspkit === true
    ? new MspkitError(thrown)
    : thrown;
}

/** `fn()`, with what the native module throws turned into an MspkitError. */
export function callNative(fn) {
  try {
    return fn();
  } catch (thrown) {
    throw converted(thrown);
  }
}

/** An error of the JS host driver itself (no fetch function, ...). */
export function configError(message, remediation) {
  return new MspkitError({ code: "invalid_config", message, remediation });
}
