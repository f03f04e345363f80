/**
 * Preloaded (`bun --preload`) into the `kriora serve` processes of a cluster test: their calls to
 * api.stripe.com go to the fake Stripe at `KRIORA_TEST_STRIPE_URL` instead (as a hosts-file entry
 * would send them), marked with the instance's name (`KRIORA_TEST_INSTANCE`) so the fake can tell
 * which instance sent what. Any other non-loopback request is refused: no test reaches the internet.
 */
const target = process.env.KRIORA_TEST_STRIPE_URL;
const instance = process.env.KRIORA_TEST_INSTANCE ?? "";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const realFetch = globalThis.fetch;

const redirected = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const request = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
  const url = new URL(request.url);
  if (url.hostname === "api.stripe.com" && target) {
    const headers = new Headers(request.headers);
    headers.set("x-kriora-test-instance", instance);
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    return realFetch(`${target}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body,
      signal: request.signal,
    });
  }
  if (!LOOPBACK.has(url.hostname)) throw new Error(`test process refused a request to ${url.hostname}`);
  return realFetch(request);
};

globalThis.fetch = Object.assign(redirected, realFetch);
