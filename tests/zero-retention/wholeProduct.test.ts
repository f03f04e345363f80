import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENCODINGS, embed, scanBytes, scanDir, type Finding } from "../helpers/canaryScan";
import { abortedAt, startFakeUpstream, UPSTREAM_CANARY, type FakeUpstream } from "../helpers/fakeUpstream";
import { PROVIDER_KEYS, providerToml } from "../helpers/gateway";
import { onPostgres } from "../helpers/deps";
import { startServe, type Served } from "../helpers/process";
import { openRawStream } from "../helpers/rawClient";
import { startSmtp, type TestSmtp } from "../helpers/smtp";

/**
 * Policy §2, §3 and §8 for the whole product: one `kriora serve` process (and the CLI) taken
 * through every path a prompt, a response, an email address or a client address can take —
 * success, streams, each error, a client abort, a restart, a crash with kill -9, erasure and a
 * retention run — then every byte the processes left behind is scanned for them in every encoding.
 */
const root = join(import.meta.dir, "../..");
const tag = randomBytes(4).toString("hex");
const CANARY = {
  prompt: `CANARY-zr-prompt-${tag}`,
  response: `CANARY-zr-response-${tag}`,
  email: `zr.${tag}@canary.example`,
  ip: `203.0.113.${(parseInt(tag.slice(0, 2), 16) % 200) + 20}`,
};
const CONTROL = `CANARY-zr-control-${tag}`;
const ORIGIN = { origin: "http://127.0.0.1:8080" };

let base: string;
let dirs: { data: string; tmp: string; home: string };
let toml: string;
let fake: FakeUpstream;
let smtp: TestSmtp;
/** Everything each process wrote, by name ("serve#1 stdout", "cli accounts delete stderr", …). */
const outputs = new Map<string, string>();
/** What clients received over HTTP, for the positive controls. */
const received: string[] = [];
const requestIds: string[] = [];
let accountId: string;
let beforeErasure: { canary: keyof typeof CANARY; findings: Finding[] }[];
let erasure: { code: number; out: string };
let retention: { code: number; out: string };
let walAfterCrash: boolean;

const env = () => ({
  TMPDIR: dirs.tmp,
  FAKE_OPENAI_KEY: PROVIDER_KEYS.openai,
  FAKE_ANTHROPIC_KEY: PROVIDER_KEYS.anthropic,
  FAKE_GEMINI_KEY: PROVIDER_KEYS.gemini,
});

/** One `kriora` command in its own process, with the suite's TMPDIR and HOME. */
function cli(...args: string[]): { code: number; out: string } {
  const run = Bun.spawnSync(
    [process.execPath, join(root, "src/main.ts"), ...args, "--config", toml, "--data", dirs.data],
    {
      cwd: dirs.home,
      env: { PATH: process.env.PATH ?? "", HOME: dirs.home, ...env() },
    },
  );
  const name = `cli ${args.slice(0, 2).join(" ")}`;
  outputs.set(`${name} stdout`, (outputs.get(`${name} stdout`) ?? "") + run.stdout.toString());
  outputs.set(`${name} stderr`, (outputs.get(`${name} stderr`) ?? "") + run.stderr.toString());
  return { code: run.exitCode, out: run.stdout.toString() };
}

/** Every server process started, so that none outlives the suite even if the scenario fails part-way. */
const servers: Served[] = [];
async function serve(): Promise<Served & { name: string }> {
  const served = await startServe(
    [process.execPath, join(root, "src/main.ts"), "serve", "--config", toml, "--data", dirs.data],
    dirs.home,
    env(),
  );
  servers.push(served);
  return Object.assign(served, { name: `serve#${servers.length}` });
}

function keep(served: Served & { name: string }) {
  outputs.set(`${served.name} stdout`, served.stdout());
  outputs.set(`${served.name} stderr`, served.stderr());
}

/** Every path of the model API, from the canary's client address, with the canary in every prompt. */
async function modelTraffic(url: string, key: string) {
  const auth = { authorization: `Bearer ${key}`, "x-forwarded-for": `${CANARY.ip}, 10.0.0.1` };
  const messages = [{ role: "user", content: `Please repeat ${CANARY.prompt}` }];
  const send = async (path: string, body: string, headers: Record<string, string> = auth) => {
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    requestIds.push(res.headers.get("x-request-id") ?? "");
    received.push(await res.text());
    return res.status;
  };
  const statuses = [
    await send("/v1/chat/completions", JSON.stringify({ model: "fine", messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "fine", stream: true, messages })),
    await send("/v1/completions", JSON.stringify({ model: "fine", stream: true, prompt: CANARY.prompt })),
    await send("/v1/embeddings", JSON.stringify({ model: "fine", input: CANARY.prompt })),
    await send("/v1/responses", JSON.stringify({ model: "fine", stream: true, input: CANARY.prompt })),
    await send("/v1/messages", JSON.stringify({ model: "fine", stream: true, max_tokens: 64, messages }), {
      ...auth,
      "x-api-key": key,
    }),
    await send("/v1/chat/completions", JSON.stringify({ model: 42, messages })),
    await send("/v1/chat/completions", `{"model":"fine","messages":[{"role":"user","content":"${CANARY.prompt}`),
    await send(
      "/v1/chat/completions",
      JSON.stringify({ model: "fine", messages: [{ role: "user", content: CANARY.prompt.repeat(5_000) }] }),
    ),
    await send("/v1/chat/completions", JSON.stringify({ model: "bad-400", messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "fail-500", messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "stream-error", stream: true, messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "stream-error-unterminated", stream: true, messages })),
    await send("/v1/chat/completions", JSON.stringify({ model: "fine", messages }), {
      "x-forwarded-for": CANARY.ip,
      authorization: `Bearer kr_${CANARY.prompt}`,
    }),
    ...(await translatedTraffic(send, auth, key)),
  ];
  expect(statuses).toEqual([
    200,
    200,
    200,
    200,
    200,
    200,
    400,
    400,
    413,
    400,
    502,
    200,
    200,
    401,
    ...TRANSLATED_STATUSES,
  ]);
  const aborted = openRawStream(
    url,
    "/v1/chat/completions",
    auth,
    JSON.stringify({ model: "endless", stream: true, messages }),
  );
  await aborted.until((text) => text.includes(CANARY.response));
  aborted.close();
  expect(await abortedAt(fake.requests.at(-1)!)).not.toBeNull();
  received.push(aborted.text());
}

const TRANSLATED_STATUSES = [200, 200, 200, 200, 200, 200, 200, 200, 400, 200];

/**
 * The translated paths (`provider/model` picks a provider of another format): the prompt canary in
 * a tool call's arguments and in a tool result of the history, the response canary in the tool
 * arguments the provider streams back, in each direction and to Gemini; a refused field; count_tokens.
 */
async function translatedTraffic(
  send: (path: string, body: string, headers?: Record<string, string>) => Promise<number>,
  auth: Record<string, string>,
  key: string,
) {
  const tools = [
    {
      type: "function",
      function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } },
    },
  ];
  const history = [
    { role: "user", content: "Look it up" },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: "call_1",
          type: "function",
          function: { name: "lookup", arguments: JSON.stringify({ q: CANARY.prompt }) },
        },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: `Found ${CANARY.prompt}` },
  ];
  const anthropicHistory = [
    { role: "user", content: "Look it up" },
    { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "lookup", input: { q: CANARY.prompt } }] },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: `Found ${CANARY.prompt}`, is_error: true }],
    },
  ];
  const anthropicTools = [{ name: "lookup", input_schema: tools[0]!.function.parameters }];
  const asAnthropic = { ...auth, "x-api-key": key };
  return [
    await send("/v1/chat/completions", JSON.stringify({ model: "an/tools", stream: true, messages: history, tools })),
    await send("/v1/chat/completions", JSON.stringify({ model: "an/tools", messages: history, tools })),
    await send(
      "/v1/messages",
      JSON.stringify({
        model: "oa/tools",
        stream: true,
        max_tokens: 64,
        messages: anthropicHistory,
        tools: anthropicTools,
      }),
      asAnthropic,
    ),
    await send("/v1/chat/completions", JSON.stringify({ model: "gm/tools", stream: true, messages: history, tools })),
    await send(
      "/v1/messages",
      JSON.stringify({ model: "gm/fine", max_tokens: 64, messages: anthropicHistory, tools: anthropicTools }),
      asAnthropic,
    ),
    await send(
      "/v1/responses",
      JSON.stringify({
        model: "an/tools",
        stream: true,
        input: [
          { type: "function_call", call_id: "c1", name: "lookup", arguments: JSON.stringify({ q: CANARY.prompt }) },
          { type: "function_call_output", call_id: "c1", output: CANARY.prompt },
        ],
        tools: [{ type: "function", name: "lookup", parameters: tools[0]!.function.parameters }],
      }),
    ),
    await send("/v1/chat/completions", JSON.stringify({ model: "an/stream-error", stream: true, messages: history })),
    await send(
      "/v1/messages/count_tokens",
      JSON.stringify({ model: "an/fine", messages: anthropicHistory }),
      asAnthropic,
    ),
    await send(
      "/v1/chat/completions",
      JSON.stringify({ model: "an/fine", messages: history, audio: { voice: CANARY.prompt } }),
    ),
    await send(
      "/v1/messages/count_tokens",
      JSON.stringify({ model: "oa/fine", messages: anthropicHistory }),
      asAnthropic,
    ),
  ];
}

/** The account holder's own paths: a magic link by email (real SMTP), a session, reading and exporting the account. */
async function accountTraffic(url: string) {
  const from = { "content-type": "application/json", "x-forwarded-for": CANARY.ip };
  expect(
    (await fetch(`${url}/auth/login`, { method: "POST", headers: from, body: JSON.stringify({ email: CANARY.email }) }))
      .status,
  ).toBe(202);
  // The mailbox may also hold the notice of the policy in force (sent by the server at start).
  let link: string | undefined;
  while (!link) {
    const mail = await smtp.next();
    expect(mail.to).toEqual([CANARY.email]);
    link = /\/auth\/verify\?token=[^\s"]+/.exec(mail.text)?.[0];
  }
  const token = new URL(link, url).searchParams.get("token");
  const verified = await fetch(`${url}/auth/verify`, {
    method: "POST",
    headers: { ...from, ...ORIGIN },
    body: JSON.stringify({ token }),
  });
  expect(verified.status).toBe(200);
  const cookie = verified.headers.get("set-cookie")!.split(";")[0]!;
  for (const [method, path] of [
    ["GET", "/account"],
    ["POST", "/account/export"],
    ["GET", "/account/usage"],
  ] as const) {
    const res = await fetch(`${url}${path}`, { method, headers: { ...from, ...ORIGIN, cookie } });
    expect(res.status).toBe(200);
    received.push(await res.text());
  }
  expect(
    (
      await fetch(`${url}/account`, {
        method: "PATCH",
        headers: { ...from, ...ORIGIN, cookie },
        body: JSON.stringify({ require_zdr: false }),
      })
    ).status,
  ).toBe(200);
}

/**
 * Every finding of `value` in the data dir, TMPDIR, HOME/working directory and every process
 * output. `operatorOutput: false` leaves out what the CLI printed to the operator who ran it
 * (`accounts create` answers with the address it was given, by contract).
 */
function findEverywhere(value: string, operatorOutput = true): Finding[] {
  return [
    ...scanDir(dirs.data, value, base),
    ...scanDir(dirs.tmp, value, base),
    ...scanDir(dirs.home, value, base),
    ...[...outputs]
      .filter(([name]) => operatorOutput || !name.startsWith("cli "))
      .flatMap(([name, text]) => scanBytes(name, Buffer.from(text), value)),
  ];
}

/** Prompts and responses are looked for everywhere; the email and address everywhere but in what the CLI told its operator. */
function scanCanaries(): { canary: keyof typeof CANARY; findings: Finding[] }[] {
  return [
    ...(["prompt", "response"] as const).map((canary) => ({ canary, findings: findEverywhere(CANARY[canary]) })),
    ...(["email", "ip"] as const).map((canary) => ({ canary, findings: findEverywhere(CANARY[canary], false) })),
  ];
}

// The scan reads the SQLite files and their WAL; PostgreSQL's counterpart scans a pg_dump
// (tests/zero-retention/postgresRedis.test.ts).
describe.skipIf(onPostgres)(
  "§3 zero retention and §8 erasure: the whole product, every path, every encoding (SQLite files)",
  () => {
    beforeAll(async () => {
      base = mkdtempSync(join(tmpdir(), "kriora-zero-retention-"));
      dirs = { data: join(base, "data"), tmp: join(base, "tmp"), home: join(base, "home") };
      for (const d of Object.values(dirs)) mkdirSync(d);
      fake = startFakeUpstream();
      fake.reply = `Here it is: ${CANARY.response} as asked`;
      fake.toolCalls = [
        { id: "call_zr", name: "lookup", arguments: JSON.stringify({ q: `${CANARY.response} in the arguments` }) },
      ];
      smtp = await startSmtp();
      toml = join(base, "kriora.toml");
      writeFileSync(
        toml,
        [
          `[server]\nport = 0\ntrusted_proxies = ["127.0.0.1", "::1", "10.0.0.0/8"]\nmax_body_bytes = 65536`,
          `[mail]\nsmtp_url = "${smtp.url}"\nfrom = "kriora@kriora.example"`,
          `[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0`,
          providerToml({ id: "oa", kind: "openai", url: fake.url }),
          providerToml({ id: "an", kind: "anthropic", url: fake.url }),
          providerToml({ id: "gm", kind: "gemini", url: fake.url }),
        ].join("\n"),
      );

      const created = cli("accounts", "create", "--email", CANARY.email, "--json");
      expect(created.code).toBe(0);
      accountId = JSON.parse(created.out).id;
      const issued = cli("keys", "issue", "--account", CANARY.email, "--scopes", "model,account", "--json");
      expect(issued.code).toBe(0);
      const { key } = JSON.parse(issued.out);

      // 1. Every path, then a clean restart (SIGTERM).
      const first = await serve();
      await modelTraffic(first.url, key);
      await accountTraffic(first.url);
      expect(await first.stop()).toBe(0);
      keep(first);

      // 2. After the restart, traffic again, then a crash with kill -9 while a stream is in flight.
      const second = await serve();
      await modelTraffic(second.url, key);
      const inFlight = openRawStream(
        second.url,
        "/v1/chat/completions",
        { authorization: `Bearer ${key}`, "x-forwarded-for": CANARY.ip },
        JSON.stringify({ model: "endless", stream: true, messages: [{ role: "user", content: CANARY.prompt }] }),
      );
      await inFlight.until((text) => text.includes(CANARY.response));
      second.proc.kill("SIGKILL");
      await second.stop();
      keep(second);
      inFlight.close();
      walAfterCrash = existsSync(join(dirs.data, "kriora.db-wal"));

      // 3. It starts again over what the crash left, serves, and stops.
      const third = await serve();
      await modelTraffic(third.url, key);
      expect(await third.stop()).toBe(0);
      keep(third);

      beforeErasure = scanCanaries();

      // 4. Erasure of the person, then a retention run, from the command line.
      erasure = cli("accounts", "delete", CANARY.email, "--yes", "--json");
      retention = cli("retention", "run", "--json");
    }, 60_000);

    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await fake.stop();
      await smtp.stop();
      rmSync(base, { recursive: true, force: true });
    });

    test("the scenario ran: canaries crossed the gateway, the crash left a WAL behind, erasure and retention succeeded", () => {
      expect(received.join("\n")).toContain(CANARY.response);
      // The owner's own export shows the address and client IP: both went through the server and were stored.
      expect(received.join("\n")).toContain(CANARY.email);
      expect(received.join("\n")).toContain(CANARY.ip);
      expect(walAfterCrash).toBe(true);
      expect(fake.requests.some((r) => JSON.stringify(r.body).includes(CANARY.prompt))).toBe(true);
      // Translated paths: the prompt canary in tool arguments and tool results reached each provider
      // format, and the response canary came back inside translated tool arguments.
      const reached = (path: string) =>
        fake.requests.some((r) => r.path === path && JSON.stringify(r.body).includes(CANARY.prompt));
      for (const path of [
        "/v1/messages",
        "/v1/chat/completions",
        "/v1/models/tools:streamGenerateContent",
        "/v1/models/fine:generateContent",
        "/v1/messages/count_tokens",
      ])
        expect(reached(path)).toBe(true);
      expect(
        received.some((text) => text.includes('"tool_calls"') && text.includes(`${CANARY.response} in the arguments`)),
      ).toBe(true);
      expect(smtp.messages.some((m) => m.text.includes("/auth/verify?token="))).toBe(true);
      expect(outputs.get("serve#2 stdout")).toContain('"route":"/v1/chat/completions"');
      expect(erasure.code).toBe(0);
      expect(erasure.out).toContain(accountId);
      expect(retention.code).toBe(0);
    });

    test("no client ever got its prompt echoed, nor a provider's error message", () => {
      for (const text of received) {
        expect(text).not.toContain(CANARY.prompt);
        expect(text).not.toContain(UPSTREAM_CANARY);
      }
    });

    test("before erasure: no prompt or response anywhere, in any encoding; the email and the address only ever encrypted", () => {
      for (const { canary, findings } of beforeErasure) expect({ canary, findings }).toEqual({ canary, findings: [] });
    });

    test("after erasure and a retention run: none of the canaries anywhere, in any encoding", () => {
      for (const { canary, findings } of scanCanaries()) expect({ canary, findings }).toEqual({ canary, findings: [] });
      expect(findEverywhere(UPSTREAM_CANARY)).toEqual([]);
    });

    test("positive control: each encoding planted in each scanned place is found, and so are values known to be there", () => {
      const places = [dirs.data, dirs.tmp, dirs.home];
      ENCODINGS.forEach((encoding, i) => {
        for (const place of places)
          writeFileSync(
            join(place, `control-${encoding}.bin`),
            Buffer.concat([randomBytes(7), embed(CONTROL, encoding, i % 3), randomBytes(5)]),
          );
      });
      const found = findEverywhere(CONTROL);
      for (const place of ["data", "tmp", "home"])
        for (const encoding of ENCODINGS)
          expect(found).toContainEqual({ where: join(place, `control-${encoding}.bin`), encoding });
      for (const [name, text] of outputs)
        for (const encoding of ENCODINGS)
          expect(
            scanBytes(name, Buffer.concat([Buffer.from(text), embed(CONTROL, encoding, 1)]), CONTROL),
          ).toContainEqual({ where: name, encoding });
      // Values the product does write in clear are found where they are: the scans read the real files and streams.
      expect(findEverywhere(requestIds[0]!)).toContainEqual({ where: "serve#1 stdout", encoding: "plain" });
      expect(findEverywhere(accountId).map((f) => f.where)).toContain("data/kriora.db");
    });
  },
);
