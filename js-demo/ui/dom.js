// Building DOM nodes. Text goes in as text nodes only (never innerHTML): records and
// server messages come from outside and must not become markup.

/** `el("p", { class: "note" }, "text", child)`; attributes with false/null are left out. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

/** A cell's text for any JSON value: objects and arrays as JSON, null as empty. */
export function cellText(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** "1,250": counts in the reader's locale. */
export const count = (n) => Number(n).toLocaleString();
