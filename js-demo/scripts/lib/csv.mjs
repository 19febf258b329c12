// CSV (RFC 4180) for export.mjs: the header from the first record's keys, every later
// record in those columns (a key the first record lacked is left out), nested values as
// JSON, null as an empty field.

/** One field, quoted when it holds a comma, quote, line break or edge space. */
export function csvField(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV rows (text with CRLF) for records, the header first once `columns` is set. */
export class CsvWriter {
  columns = null;

  /** The text for `records`: the header row before the first record, then one row each. */
  rows(records) {
    let text = "";
    for (const record of records) {
      if (this.columns === null) {
        this.columns = Object.keys(record);
        text += row(this.columns);
      }
      text += row(this.columns.map((name) => record[name]));
    }
    return text;
  }
}

const row = (values) => `${values.map(csvField).join(",")}\r\n`;
