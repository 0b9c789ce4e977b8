// A static server on loopback for the browser tests and the demo: web/ itself (dist, test,
// demo), the cases file, and only the listed input files from elsewhere on disk.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const WEB = fileURLToPath(new URL("..", import.meta.url));
const TYPES = {
  ".html": "text/html",
  ".mjs": "text/javascript",
  ".js": "text/javascript",
  ".map": "application/json",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".png": "image/png",
};

/** Start the server; `routes` maps exact URL paths to files, `allowed` lists /file?path= files. */
export function serve({ routes = {}, allowed = [] } = {}) {
  const allow = new Set(allowed);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    let path = routes[url.pathname];
    if (url.pathname === "/file") {
      path = url.searchParams.get("path");
      if (!allow.has(path)) path = null;
    } else if (!path) {
      const local = normalize(join(WEB, decodeURIComponent(url.pathname)));
      path = local.startsWith(WEB) && /^\/(dist|test|demo)\//.test(url.pathname) ? local : null;
    }
    try {
      if (!path) throw new Error("not found");
      const body = await readFile(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}
