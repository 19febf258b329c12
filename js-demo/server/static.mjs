// The files the demo server serves: the page (js-demo/*.html|js|css, js-demo/ui/*.js) and
// the built npm package (bindings-wasm/pkg/*.js|wasm at /pkg/). Nothing else: not the
// server's own modules, not the scripts, not the repository. A URL names a file by one
// plain name under a known prefix, so there is no path to traverse.

import { createHash } from "node:crypto";
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SECURITY_HEADERS } from "./http.mjs";

const DEMO = fileURLToPath(new URL("../", import.meta.url));
const PKG = fileURLToPath(new URL("../../bindings-wasm/pkg/", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
};

/** URL prefix → folder and the extensions served from it (its files only, no subfolders). */
const ROUTES = [
  { prefix: "/", dir: DEMO, extensions: [".html", ".js", ".css", ".svg"] },
  { prefix: "/ui/", dir: join(DEMO, "ui"), extensions: [".js"] },
  { prefix: "/pkg/", dir: PKG, extensions: [".js", ".wasm"] },
];

// One name: letters, digits, `_`, `-` and dots, never leading with a dot (no `..`, no
// hidden files, no separators of any kind).
const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The file a URL path (query string already removed) names, or null. */
export function fileFor(pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path === "/") path = "/index.html";
  for (const { prefix, dir, extensions } of ROUTES) {
    if (!path.startsWith(prefix)) continue;
    const name = path.slice(prefix.length);
    if (!PLAIN_NAME.test(name) || name.includes("..")) continue;
    const extension = name.slice(name.lastIndexOf("."));
    if (extensions.includes(extension)) return { file: join(dir, name), type: TYPES[extension] };
  }
  return null;
}

/** The security headers of a file; a page's own inline scripts (quickstart.html keeps its
 * script inline, to be quoted whole in the README) are allowed by hash, nothing else. */
function headersFor(found, body) {
  if (!found.file.endsWith(".html")) return SECURITY_HEADERS;
  const hashes = [...body.toString("utf8").matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .filter(([, script]) => script !== "")
    .map(([, script]) => ` 'sha256-${createHash("sha256").update(script).digest("base64")}'`);
  const policy = SECURITY_HEADERS["Content-Security-Policy"];
  const csp = policy.replace("script-src 'self'", `script-src 'self'${hashes.join("")}`);
  return { ...SECURITY_HEADERS, "Content-Security-Policy": csp };
}

/** Serves a GET or HEAD for `pathname`; false when there is no such file. */
export async function serveStatic(req, res, pathname) {
  const found = fileFor(pathname);
  if (!found) return false;
  // lstat: a symbolic link is not served, wherever it points.
  const info = await lstat(found.file).catch(() => null);
  if (!info?.isFile()) return false;
  const body = await readFile(found.file);
  res.writeHead(200, {
    ...headersFor(found, body),
    // The package is rebuilt while the demo runs (make wasm); never serve a stale copy.
    "Cache-Control": "no-cache",
    "Content-Type": found.type,
    "Content-Length": body.length,
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}
