import { afterAll, beforeAll, describe, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startFakeUpstream, type FakeUpstream } from "./fakeUpstream";
import { PROVIDER_KEYS, providerToml } from "./gateway";
import { startServe, type Served } from "./process";
import { startSmtp, type TestSmtp } from "./smtp";
import { databaseEnv, dropDatabase } from "./pg";

/** Debian's Chromium; `KRIORA_TEST_CHROMIUM` points elsewhere (the skip rule's own test names a missing file). */
export const CHROMIUM = process.env.KRIORA_TEST_CHROMIUM ?? "/usr/bin/chromium";
const root = join(import.meta.dir, "../..");

/**
 * Browser suites run when Debian's Chromium is installed. Without it they are skipped with one
 * line naming the install command — except under CI (`CI=true`), where a missing browser fails.
 */
export function describeInBrowser(title: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(title, body);
    return;
  }
  if (process.env.CI === "true") throw new Error(`${CHROMIUM} is missing under CI: apt-get install -y chromium`);
  if (!toldSkipped) console.log(`browser suites skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  toldSkipped = true;
  describe.skip(title, body);
}

/** One skip line per test run, however many browser suites it holds. */
let toldSkipped = false;

export interface Console {
  url: string;
  origin: string;
  dataDir: string;
  smtp: TestSmtp;
  fake: FakeUpstream;
  serve: Served;
  browser: Browser;
  /** A fresh browser context (no cookies) whose pages are recorded by `requests`. */
  context(): Promise<BrowserContext>;
  /** Every URL any page of this suite asked for, to check none left the server's origin. */
  requests: string[];
  /** `kriora <args>` against the server's data, in its own process. */
  cli(...args: string[]): { code: number; out: string; err: string };
}

/** FIELD-NOTES' flags: without the background-networking ones Chromium keeps trying to reach other hosts. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A free loopback port, so that `server.public_url` (the links in mails) names the real server. */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export const MODEL = "gpt-console";

/** A browser scenario drives several pages and a server process: more time than the suite default. */
export const BROWSER_TEST_MS = 60_000;

/**
 * One real `kriora serve` process (SMTP sink, fake upstream, a priced model) and one headless
 * Chromium. `stop` ends them all and removes the temporary folder.
 */
export async function startConsole(toml = ""): Promise<Console & { stop(): Promise<void> }> {
  const base = mkdtempSync(join(tmpdir(), "kriora-browser-"));
  const dataDir = join(base, "data");
  mkdirSync(dataDir);
  const fake = startFakeUpstream();
  const smtp = await startSmtp();
  const port = freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = join(base, "kriora.toml");
  writeFileSync(
    config,
    [
      `[server]\nport = ${port}\npublic_url = "${origin}"`,
      `[mail]\nsmtp_url = "${smtp.url}"\nfrom = "kriora@kriora.example"`,
      `[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0`,
      providerToml({ id: "oa", kind: "openai", url: fake.url, zdr: true, region: "eu" }),
      `[[models]]\nid = "${MODEL}"\nprovider = "oa"\nupstream = "${MODEL}"\ninput_usd_per_mtok = 2\noutput_usd_per_mtok = 8`,
      toml,
    ].join("\n"),
  );
  const env = {
    FAKE_OPENAI_KEY: PROVIDER_KEYS.openai,
    FAKE_ANTHROPIC_KEY: PROVIDER_KEYS.anthropic,
    TMPDIR: base,
    ...(await databaseEnv(dataDir)),
  };
  const serve = await startServe(
    [process.execPath, join(root, "src/main.ts"), "serve", "--config", config, "--data", dataDir],
    base,
    { ...env, KRIORA_SERVER_PORT: String(port) },
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const requests: string[] = [];
  return {
    url: serve.url,
    origin,
    dataDir,
    smtp,
    fake,
    serve,
    browser,
    requests,
    async context() {
      const context = await browser.newContext({ acceptDownloads: true });
      context.on("request", (r) => void requests.push(r.url()));
      return context;
    },
    cli(...args) {
      const run = Bun.spawnSync(
        [process.execPath, join(root, "src/main.ts"), ...args, "--config", config, "--data", dataDir],
        {
          cwd: base,
          env: { PATH: process.env.PATH ?? "", HOME: base, ...env },
        },
      );
      return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() };
    },
    async stop() {
      await browser.close();
      await serve.stop();
      await smtp.stop();
      await fake.stop();
      await dropDatabase(dataDir);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** `startConsole` before the suite's tests, stopped after them. */
export function useConsole(got: (c: Console) => void, toml = ""): void {
  let running: Awaited<ReturnType<typeof startConsole>> | undefined;
  beforeAll(async () => {
    running = await startConsole(toml);
    got(running);
  }, BROWSER_TEST_MS);
  afterAll(() => running?.stop(), BROWSER_TEST_MS);
}

/** The sign-in link of the next mail to `email` (other mail, e.g. policy notices, is passed over). */
export async function linkFor(c: Console, email: string): Promise<string> {
  for (;;) {
    const mail = await c.smtp.next();
    const link = /http:\/\/\S+\/auth\/verify\?token=\S+/.exec(mail.text)?.[0];
    if (mail.to.includes(email) && link) return link;
  }
}

/** Open a sign-in link in the page and press the confirm page's button; resolves on the overview. */
export async function confirmLink(page: Page, link: string, email: string): Promise<void> {
  await page.goto(link);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectVisible(page.getByTestId("signed-in-email").filter({ hasText: email }));
}

/** An existing account signed in through the sign-in page and its emailed link. */
export async function signIn(c: Console, page: Page, email: string): Promise<void> {
  await page.goto(`${c.url}/`);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expectVisible(page.getByRole("status"));
  await confirmLink(page, await linkFor(c, email), email);
}

/** An admin let in the way README's bootstrap says: `accounts create --admin`, then `accounts login-link`. */
export async function signInAdmin(c: Console, page: Page, email: string): Promise<void> {
  if (c.cli("accounts", "show", email).code !== 0)
    expect(c.cli("accounts", "create", "--email", email, "--admin").code).toBe(0);
  const issued = c.cli("accounts", "login-link", email, "--json");
  expect(issued.code).toBe(0);
  await confirmLink(page, JSON.parse(issued.out).url, email);
}

/** Open a console page from the navigation and wait until everything on it has loaded (so nothing moves under a click). */
export async function openPage(page: Page, name: string): Promise<void> {
  await page.getByRole("link", { name, exact: true }).click();
  await expectVisible(page.getByRole("heading", { level: 1, name }));
  await page.getByText("Loading…").first().waitFor({ state: "detached" });
}

export async function expectVisible(locator: ReturnType<Page["locator"]>): Promise<void> {
  await locator.first().waitFor({ state: "visible", timeout: 10_000 });
}

const AXE = readFileSync(join(root, "node_modules/axe-core/axe.min.js"), "utf8");

/** axe-core's serious and critical violations on the page as it is now (injected through DevTools, which the CSP allows). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))",
  )) as { id: string; impact: string; nodes: number }[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.nodes})`);
}

/** Requests that left the console's origin (data: and blob: URLs stay in the page). */
export const foreignRequests = (c: Console) =>
  c.requests.filter((u) => !u.startsWith(`${c.origin}/`) && !u.startsWith("data:") && !u.startsWith("blob:"));
