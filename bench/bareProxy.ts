/**
 * The floor Kriora is measured against: the thinnest Bun passthrough proxy, in its own process.
 * `bun bench/bareProxy.ts <upstream-url>`; prints `{"url": …}` on its first stdout line.
 */
const upstream = process.argv[2]!.replace(/\/+$/, "");

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  development: false,
  idleTimeout: 0,
  async fetch(req) {
    const { pathname, search } = new URL(req.url);
    return fetch(upstream + pathname + search, { method: req.method, headers: req.headers, body: await req.arrayBuffer(), signal: req.signal });
  },
});

console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
