// The export's progress on stderr: one line rewritten in place (\r) on a terminal; in a
// log (stderr not a TTY), a line every `every` pages, so logs stay short.

export class Progress {
  constructor(stream, { every = 10, noun = "records" } = {}) {
    Object.assign(this, { stream, every, noun, tty: Boolean(stream.isTTY), pending: false });
  }

  /** After each page: `records` written so far, the vendor's `total` if known. */
  page(pageNumber, records, total) {
    const of = total != null ? ` of ${total}` : "";
    const text = `page ${pageNumber}: ${records}${of} ${this.noun}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${text}`);
      this.pending = true;
    } else if (pageNumber % this.every === 0) {
      this.stream.write(`${text}\n`);
    }
  }

  /** The closing line (ends the rewritten line first on a terminal). */
  done(text) {
    this.stream.write(`${this.pending ? "\n" : ""}${text}\n`);
    this.pending = false;
  }
}
