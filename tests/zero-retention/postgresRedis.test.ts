import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RedisClient, SQL } from "bun";
import { ENCODINGS, embed, scanBytes, scanDir, type Finding } from "../helpers/canaryScan";
import { useCluster, type Cluster, type Instance, CLUSTER_TEST_MS } from "../helpers/cluster";
import { abortedAt, UPSTREAM_CANARY } from "../helpers/fakeUpstream";
import { openRawStream } from "../helpers/rawClient";
import { pgDump } from "../helpers/pg";
import { describeWithServices, redisContents } from "../helpers/services";

/**
 * Policy §2, §3 and §8 in PostgreSQL + Redis mode: two `kriora serve` instances and the CLI on one
 * PostgreSQL and one Redis, taken through the model API's paths (success, streams, errors, a client
 * abort, a kill -9 mid-stream, a restart), the account's own reads, an erasure and a retention run.
 * PostgreSQL's data directory cannot be scanned (it belongs to the server), so what it holds is read
 * as a backup would: a `pg_dump`. With it are scanned Redis's keys and values, the cluster's folder
 * and every process output — each with positive controls.
 */
const tag = randomBytes(4).toString("hex");
const CANARY = {
  prompt: `CANARY-zrpg-prompt-${tag}`,
  response: `CANARY-zrpg-response-${tag}`,
  email: `zrpg.${tag}@canary.example`,
  ip: `203.0.113.${(parseInt(tag.slice(0, 2), 16) % 200) + 20}`,
};
const CONTROL = `CANARY-zrpg-control-${tag}`;
const BEHAVIOURS = ["bad-400", "fail-500", "stream-error", "endless"];

/** What clients received over HTTP (the positive controls look for the canaries there). */
const received: string[] = [];
const requestIds: string[] = [];

/** Every path of the model API on `instance`, from the canary's client address, the canary in every prompt. */
async function modelTraffic(instance: Instance, key: string): Promise<number[]> {
  const auth = { authorization: `Bearer ${key}`, "x-forwarded-for": `${CANARY.ip}, 10.0.0.1` };
  const messages = [{ role: "user", content: `Please repeat ${CANARY.prompt}` }];
  const send = async (path: string, body: string, headers: Record<string, string> = auth) => {
    const res = await fetch(`${instance.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    requestIds.push(res.headers.get("x-request-id") ?? "");
    received.push(await res.text());
    return res.status;
  };
  return [
    await send("/v1/chat/completions", JSON.stringify({ model: "fine", messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "fine", stream: true, messages })),
    await send("/v1/completions", JSON.stringify({ model: "fine", stream: true, prompt: CANARY.prompt })),
    await send("/v1/embeddings", JSON.stringify({ model: "fine", input: CANARY.prompt })),
    await send("/v1/responses", JSON.stringify({ model: "fine", stream: true, input: CANARY.prompt })),
    await send("/v1/messages", JSON.stringify({ model: "fine", stream: true, max_tokens: 64, messages }), {
      ...auth,
      "x-api-key": key,
    }),
    await send("/v1/chat/completions", `{"model":"fine","messages":[{"role":"user","content":"${CANARY.prompt}`),
    await send(
      "/v1/chat/completions",
      JSON.stringify({ model: "fine", messages: [{ role: "user", content: CANARY.prompt.repeat(5_000) }] }),
    ),
    await send("/v1/chat/completions", JSON.stringify({ model: "bad-400", messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "fail-500", messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "stream-error", stream: true, messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "fine", messages }), {
      "x-forwarded-for": CANARY.ip,
      authorization: `Bearer kr_${CANARY.prompt}`,
    }),
  ];
}
const STATUSES = [200, 200, 200, 200, 200, 200, 400, 413, 400, 502, 200, 401];

/** A stream of model `endless` from the canary's address, read until the response canary shows. */
async function streamUntilResponse(instance: Instance, key: string) {
  const stream = openRawStream(
    instance.url,
    "/v1/chat/completions",
    { authorization: `Bearer ${key}`, "x-forwarded-for": CANARY.ip },
    JSON.stringify({ model: "endless", stream: true, messages: [{ role: "user", content: CANARY.prompt }] }),
  );
  await stream.until((text) => text.includes(CANARY.response));
  return stream;
}

let dumpBefore: string;
let redisBefore: string;
let outputsBefore: Map<string, string>;
let accountId: string;
let erasure: unknown;
let abortSeen: boolean;
/** Set once the whole scenario ran: the scans below mean nothing without it. */
let scenarioRan = false;

/** Every finding of `value` in the dump, Redis, the cluster's folder and the process outputs (the CLI's answers to its operator left out when `operatorOutput` is false). */
function findEverywhere(
  c: Cluster,
  value: string,
  state: { dump: string; redis: string; outputs: Map<string, string> },
  operatorOutput = true,
): Finding[] {
  return [
    ...scanBytes("pg_dump", Buffer.from(state.dump), value),
    ...scanBytes("redis", Buffer.from(state.redis), value),
    ...scanDir(c.dir, value),
    ...[...state.outputs]
      .filter(([name]) => operatorOutput || !name.startsWith("cli "))
      .flatMap(([name, text]) => scanBytes(name, Buffer.from(text), value)),
  ];
}

function scanCanaries(c: Cluster, state: { dump: string; redis: string; outputs: Map<string, string> }) {
  return [
    ...(["prompt", "response"] as const).map((canary) => ({
      canary,
      findings: findEverywhere(c, CANARY[canary], state),
    })),
    ...(["email", "ip"] as const).map((canary) => ({
      canary,
      findings: findEverywhere(c, CANARY[canary], state, false),
    })),
  ];
}

describeWithServices(
  "§3 zero retention and §8 erasure in PostgreSQL + Redis mode: a pg_dump, Redis and every output",
  () => {
    const cluster = useCluster({
      instances: 2,
      server: `trusted_proxies = ["127.0.0.1", "::1", "10.0.0.0/8"]\nmax_body_bytes = 65536`,
      toml: [
        `[billing]\nmode = "prepaid"`,
        ...BEHAVIOURS.map((m) => `[[models]]\nid = "${m}"\nprovider = "oa"\nupstream = "${m}"`),
      ].join("\n"),
    });
    const state = async (c: Cluster) => ({
      dump: pgDump(new URL(c.databaseUrl).searchParams.get("search_path")!),
      redis: await redisContents(c.redisUrl, c.redisPrefix),
      outputs: c.outputs(),
    });

    test("the scenario: every path on both instances, a kill -9 mid-stream and a restart, then erasure and a retention run", async () => {
      const c = cluster();
      const [a, b] = c.instances as [Instance, Instance];
      c.fake.reply = `Here it is: ${CANARY.response} as asked`;
      for (const instance of c.instances) expect(instance.output()).toContain('"billing":"prepaid"');
      accountId = c.cli("accounts", "create", "--email", CANARY.email).id;
      const { key } = c.cli("keys", "issue", "--account", accountId, "--scopes", "model,account");
      c.cli("credits", "grant", "--account", accountId, "--amount", "100", "--reason", "test");

      expect(await modelTraffic(a, key)).toEqual(STATUSES);
      expect(await modelTraffic(b, key)).toEqual(STATUSES);
      for (const instance of [a, b]) {
        const own = await fetch(`${instance.url}/account`, {
          headers: { authorization: `Bearer ${key}`, "x-forwarded-for": CANARY.ip },
        });
        expect(own.status).toBe(200);
        received.push(await own.text());
      }
      // A client that goes away mid-stream; then kill -9 of A with a stream in flight, and A again.
      const aborted = await streamUntilResponse(b, key);
      aborted.close();
      abortSeen = (await abortedAt(c.fake.requests.at(-1)!)) !== null;
      received.push(aborted.text());
      const inFlight = await streamUntilResponse(a, key);
      await a.kill9();
      inFlight.close();
      await a.restart();
      expect(await modelTraffic(a, key)).toEqual(STATUSES);
      // B stops cleanly (SIGTERM flushes its usage); the dump is taken with A still serving.
      expect(await b.stop()).toBe(0);
      const before = await state(c);
      dumpBefore = before.dump;
      redisBefore = before.redis;
      outputsBefore = before.outputs;

      erasure = c.cli("accounts", "delete", CANARY.email, "--yes");
      c.cli("retention", "run");
      expect(received.join("\n")).toContain(CANARY.response);
      expect(received.join("\n")).toContain(CANARY.email);
      expect(abortSeen).toBe(true);
      expect(c.fake.requests.some((r) => JSON.stringify(r.body).includes(CANARY.prompt))).toBe(true);
      expect(JSON.stringify(erasure)).toContain(accountId);
      scenarioRan = true;
    }, 120_000);

    test("no client ever got its prompt echoed, nor a provider's error message", () => {
      expect(scenarioRan).toBe(true);
      for (const text of received) {
        expect(text).not.toContain(CANARY.prompt);
        expect(text).not.toContain(UPSTREAM_CANARY);
      }
    });

    test("before erasure: no prompt or response in the pg_dump, Redis, files or outputs; the email and the address only ever encrypted", () => {
      expect(scenarioRan).toBe(true);
      const c = cluster();
      for (const { canary, findings } of scanCanaries(c, {
        dump: dumpBefore,
        redis: redisBefore,
        outputs: outputsBefore,
      }))
        expect({ canary, findings }).toEqual({ canary, findings: [] });
    });

    test(
      "after erasure and a retention run: none of the canaries anywhere, in any encoding",
      async () => {
        expect(scenarioRan).toBe(true);
        const c = cluster();
        const after = await state(c);
        for (const { canary, findings } of scanCanaries(c, after))
          expect({ canary, findings }).toEqual({ canary, findings: [] });
        expect(findEverywhere(c, UPSTREAM_CANARY, after)).toEqual([]);
      },
      CLUSTER_TEST_MS,
    );

    test(
      "positive control: the control planted in PostgreSQL, Redis, the folder and the outputs is found in each encoding, and so are values known to be there",
      async () => {
        const c = cluster();
        const sql = new SQL(c.databaseUrl);
        await sql.unsafe("CREATE TABLE zr_control (t text, b bytea)");
        for (const [i, encoding] of ENCODINGS.entries()) {
          const bytes = embed(CONTROL, encoding, i % 3);
          await sql`INSERT INTO zr_control (t, b) VALUES (${bytes.includes(0) ? null : bytes.toString("latin1")}, ${bytes})`;
        }
        await sql.close();
        const redis = new RedisClient(c.redisUrl);
        await redis.set(`${c.redisPrefix}zr:control:string`, `x${CONTROL}.`);
        await redis.send("HSET", [`${c.redisPrefix}zr:control:hash`, "field", `xx${CONTROL}.`]);
        redis.close();
        for (const [i, encoding] of ENCODINGS.entries())
          writeFileSync(join(c.dir, `control-${encoding}.bin`), embed(CONTROL, encoding, i % 3));

        const planted = await state(c);
        const found = findEverywhere(c, CONTROL, planted);
        // Text columns come out of pg_dump as they are; bytea comes out as hex.
        for (const encoding of ["plain", "base64", "base64url", "hex", "HEX"] as const)
          expect(found).toContainEqual({ where: "pg_dump", encoding });
        expect(found).toContainEqual({ where: "redis", encoding: "plain" });
        for (const encoding of ENCODINGS) expect(found).toContainEqual({ where: `control-${encoding}.bin`, encoding });
        for (const [name, text] of planted.outputs)
          for (const encoding of ENCODINGS)
            expect(
              scanBytes(name, Buffer.concat([Buffer.from(text), embed(CONTROL, encoding, 1)]), CONTROL),
            ).toContainEqual({ where: name, encoding });
        // The scans read the real dump and outputs: what the product does write in clear is found there.
        expect(findEverywhere(c, accountId, { ...planted, outputs: new Map() }).map((f) => f.where)).toContain(
          "pg_dump",
        );
        expect(findEverywhere(c, requestIds[0]!, planted).map((f) => f.where)).toContain("A");
      },
      CLUSTER_TEST_MS,
    );
  },
);
