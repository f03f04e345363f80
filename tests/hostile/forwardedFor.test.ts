import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load";
import { clientIp } from "../../src/http/clientIp";
import { ABUSE } from "../../src/limits/abuse";
import { makeAccount, makeKey } from "../helpers/identity";
import { serverPerTest } from "../helpers/serverPerTest";

const serve = serverPerTest();

const ATTACKER = "203.0.113.66";
const VICTIM = "198.51.100.7";

/**
 * The proxy in front of the real server is this test, on loopback: like nginx's
 * `$proxy_add_x_forwarded_for` it appends the address it saw to whatever the client sent.
 */
async function behindProxy(settings: string) {
  const { env, url } = await serve(settings);
  const { key } = await makeKey(env.deps, (await makeAccount(env.deps, "someone@example.com")).id);
  const viaProxy = (clientSent: string | null, seen: string, credential = key) =>
    fetch(`${url}/account`, {
      headers: {
        authorization: `Bearer ${credential}`,
        "x-forwarded-for": clientSent ? `${clientSent}, ${seen}` : seen,
      },
    });
  return { env, key, viaProxy };
}

/** `trust_proxy = true` is the deprecated spelling of trusting loopback; both must read the header from the right. */
const TRUST = ["trust_proxy = true", 'trusted_proxies = ["127.0.0.1/32", "::1/128"]'];

describe("§5 abuse controls behind a reverse proxy: X-Forwarded-For is read from the right (issue #16 item 4)", () => {
  test.each(TRUST)(
    "with %s, a client that writes its own entries still gets its real address blocked",
    async (settings) => {
      const { viaProxy, key } = await behindProxy(settings);
      for (let i = 0; i < ABUSE.authFailures; i++)
        expect((await viaProxy(`10.66.0.${i}`, ATTACKER, "kr_not.a.key")).status).toBe(401);
      expect((await viaProxy("10.66.1.1", ATTACKER, key)).status).toBe(429);
      expect((await viaProxy(null, ATTACKER, key)).status).toBe(429);
    },
  );

  test.each(TRUST)("with %s, spoofed entries naming someone else do not get that address blocked", async (settings) => {
    const { viaProxy, key } = await behindProxy(settings);
    for (let i = 0; i < ABUSE.authFailures; i++) await viaProxy(VICTIM, ATTACKER, "kr_not.a.key");
    expect((await viaProxy(null, VICTIM, key)).status).toBe(200);
    // Positive control: the failures were counted, against the attacker.
    expect((await viaProxy(null, ATTACKER, key)).status).toBe(429);
  });

  test("trust_proxy = true logs one deprecation line naming its replacement", async () => {
    const { env } = await serve("trust_proxy = true");
    const lines = env.log.lines.map((l) => JSON.parse(l)).filter((l) => l.event === "deprecated_config");
    expect(lines).toEqual([expect.objectContaining({ level: "warn", key: "server.trust_proxy" })]);
    expect(lines[0].use).toContain("trusted_proxies");
  });

  test("with no trusted proxy the header is ignored, and one warning (without any address) says so", async () => {
    const { env, viaProxy, key } = await behindProxy("");
    for (let i = 0; i < ABUSE.authFailures; i++) await viaProxy(null, `192.0.2.${i}`, "kr_not.a.key");
    // Every "client" was the socket peer: one shared address, now blocked.
    expect((await viaProxy(null, VICTIM, key)).status).toBe(429);
    const warnings = env.log.lines.filter((l) => JSON.parse(l).event === "forwarded_for_ignored");
    expect(warnings.length).toBe(1);
    const text = env.log.text();
    for (const address of ["192.0.2.", VICTIM, "127.0.0.1"]) expect(text).not.toContain(address);
  });
});

describe("client address resolution", () => {
  const cases: [string, string[], string, string | null, string | null][] = [
    ["no trust: the peer", [], "127.0.0.1", "1.1.1.1", "127.0.0.1"],
    ["peer not trusted: the header is ignored", ["10.0.0.0/8"], "192.0.2.1", "1.1.1.1", "192.0.2.1"],
    ["one trusted hop", ["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 1.1.1.1", "1.1.1.1"],
    ["two trusted hops", ["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 1.1.1.1, 10.9.9.9", "1.1.1.1"],
    ["no header from a trusted proxy: the proxy", ["10.0.0.0/8"], "10.0.0.2", null, "10.0.0.2"],
    [
      "a garbled entry ends the walk at the last real hop",
      ["10.0.0.0/8"],
      "10.0.0.2",
      "1.1.1.1, not-an-ip",
      "10.0.0.2",
    ],
    ["IPv6 proxy and client", ["fd00::/8"], "fd00::5", "2001:db8::1, 2001:db8::66", "2001:db8::66"],
    ["an IPv4-mapped peer matches an IPv4 block", ["127.0.0.1"], "::ffff:127.0.0.1", "1.1.1.1", "1.1.1.1"],
    ["all hops trusted: the left-most", ["10.0.0.0/8"], "10.0.0.2", "10.1.1.1", "10.1.1.1"],
  ];
  test.each(cases)("%s", (_, trusted, peer, header, expected) => {
    const request = new Request("http://localhost/", { headers: header === null ? {} : { "x-forwarded-for": header } });
    expect(
      clientIp(
        request,
        { requestIP: () => ({ address: peer, family: "IPv4", port: 1 }) },
        { trusted_proxies: trusted, trust_proxy: false },
      ),
    ).toBe(expected);
  });

  test("server.trusted_proxies is validated at load and may come from the environment", () => {
    expect(() =>
      loadConfig({ cwd: "/nonexistent", env: { KRIORA_SERVER_TRUSTED_PROXIES: "10.0.0.0/8, nonsense" } }),
    ).toThrow("config: server.trusted_proxies[1]: not an address block");
    expect(
      loadConfig({ cwd: "/nonexistent", env: { KRIORA_SERVER_TRUSTED_PROXIES: "10.0.0.0/8, fd00::/8" } }).server
        .trusted_proxies,
    ).toEqual(["10.0.0.0/8", "fd00::/8"]);
  });
});
