import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { ABUSE } from "../../src/limits/abuse";
import { serverPerTest, type TestServer } from "../helpers/serverPerTest";

/**
 * A self-signed certificate for localhost and 127.0.0.1 (P-256, valid until 2126), made once with
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 * -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1` and committed, so the
 * suite needs no openssl at run time.
 */
const FIXTURES = join(import.meta.dir, "../fixtures/tls");
const CERT = join(FIXTURES, "cert.pem");
const KEY = join(FIXTURES, "key.pem");
const CA = readFileSync(CERT, "utf8");

const serve = serverPerTest();
const port = (s: TestServer) => new URL(s.url).port;

describe("§9 encryption in transit: Bun serves TLS itself", () => {
  test("an HTTPS client that trusts only the test certificate gets answers with HSTS", async () => {
    const s = await serve(`tls_cert = "${CERT}"\ntls_key = "${KEY}"`);
    expect(s.url).toStartWith("https://");
    for (const host of ["localhost", "127.0.0.1"]) {
      const res = await fetch(`https://${host}:${port(s)}/healthz`, { tls: { ca: CA } });
      expect(res.status).toBe(200);
      expect(res.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const refused = await fetch(`https://localhost:${port(s)}/missing`, { tls: { ca: CA } });
    expect(refused.status).toBe(404);
    expect(refused.headers.get("strict-transport-security")).not.toBeNull();
  });

  test("the handshake is real TLS with the configured certificate: verified against it, refused without it", async () => {
    const s = await serve(`tls_cert = "${CERT}"\ntls_key = "${KEY}"`);
    const session = await new Promise<{ protocol: string | null; subject: string; authorized: boolean }>(
      (resolve, reject) => {
        const socket = tls.connect(
          { host: "127.0.0.1", port: Number(port(s)), servername: "localhost", ca: CA },
          () => {
            resolve({
              protocol: socket.getProtocol(),
              subject: socket.getPeerCertificate().subject.CN as string,
              authorized: socket.authorized,
            });
            socket.end();
          },
        );
        socket.on("error", reject);
      },
    );
    expect(session).toEqual({
      protocol: expect.stringMatching(/^TLSv1\.[23]$/),
      subject: "localhost",
      authorized: true,
    });
    // Positive control: a client that does not trust the certificate fails, so the check above means something.
    await expect(fetch(`https://localhost:${port(s)}/healthz`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${port(s)}/healthz`)).rejects.toThrow();
  });

  test("plain HTTP with an http public_url sends no HSTS; an https public_url (TLS at a proxy) does", async () => {
    const plain = await fetch(`${(await serve()).url}/healthz`);
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    const proxied = await fetch(`${(await serve('public_url = "https://api.example.test"')).url}/healthz`);
    expect(proxied.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
  });
});

describe("§5 abuse detection behind a reverse proxy: X-Forwarded-For is believed only with trust_proxy", () => {
  /** One failed authentication over a real socket, claiming to come from `forwardedFor`. */
  const failAuth = (s: TestServer, forwardedFor: string) =>
    fetch(`${s.url}/account`, { headers: { authorization: "Bearer kr_not.a.key", "x-forwarded-for": forwardedFor } });

  test("trust_proxy off (the default): forging a new X-Forwarded-For per attempt does not escape the block of the socket address", async () => {
    const s = await serve();
    for (let i = 0; i < ABUSE.authFailures; i++) expect((await failAuth(s, `198.51.100.${i + 1}`)).status).toBe(401);
    const after = await fetch(`${s.url}/healthz`, { headers: { "x-forwarded-for": "192.0.2.200" } });
    expect(after.status).toBe(429);
    expect(s.env.log.text()).not.toContain("198.51.100.");
  });

  test("control, trust_proxy on: the forwarded address decides, so one client's failures block it and not its neighbour", async () => {
    const s = await serve("trust_proxy = true");
    for (let i = 0; i < ABUSE.authFailures; i++) await failAuth(s, "203.0.113.66");
    expect((await fetch(`${s.url}/healthz`, { headers: { "x-forwarded-for": "203.0.113.66" } })).status).toBe(429);
    expect((await fetch(`${s.url}/healthz`, { headers: { "x-forwarded-for": "192.0.2.200" } })).status).toBe(200);
  });
});
