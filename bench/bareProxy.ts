/**
 * The floor Kriora is measured against: the thinnest Bun passthrough proxy, in its own process.
 * `bun bench/bareProxy.ts <upstream-url>`; prints `{"url": …}` on its first stdout line.
 */
import { serveOnLoopback } from "./procs";

const upstream = process.argv[2]!.replace(/\/+$/, "");

serveOnLoopback(async (req) => {
  const { pathname, search } = new URL(req.url);
  return fetch(upstream + pathname + search, {
    method: req.method,
    headers: req.headers,
    body: await req.arrayBuffer(),
    signal: req.signal,
  });
});
