import { afterAll, beforeAll, expect, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import {
  BROWSER_TEST_MS,
  CHROMIUM,
  CHROMIUM_ARGS,
  describeInBrowser,
  expectVisible,
  openPage,
  seriousA11yViolations,
} from "../helpers/browser";
import { makeAccount, makeSessionCookie } from "../helpers/identity";

let env: BillingEnv;
let server: RunningServer;
let browser: Browser;

describeInBrowser("console billing page, prepaid (§5 payments, §10 processors)", () => {
  // Stripe is the loopback fake, which only an in-process server can be pointed at.
  beforeAll(async () => {
    env = await makeBillingEnv("prepaid", { server: "port = 0" });
    server = startServer(env.deps);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    env?.close();
  }, BROWSER_TEST_MS);

  test(
    "balance and ledger; a top-up goes to the Checkout URL Kriora created; the return page says what happens next",
    async () => {
      const ann = await makeAccount(env.deps, "payer@example.com");
      await env.deps.billing.changeCredits(
        { accountId: ann.id, kind: "grant", amountMicros: 2_500_000, reason: "welcome" },
        "test",
      );
      const context = await browser.newContext();
      const [name, value] = (await makeSessionCookie(env.deps, ann.id)).split("=") as [string, string];
      await context.addCookies([{ name, value, url: server.url }]);
      const requests: string[] = [];
      context.on("request", (r) => void requests.push(r.url()));
      // The payer's browser would go on to Stripe; here that navigation is stopped and recorded.
      await context.route("https://checkout.stripe.com/**", (route) => route.abort());
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await openPage(page, "Billing");
      await expectVisible(page.getByText("Balance: $2.50 (prepaid)"));
      await expectVisible(page.getByRole("cell", { name: "welcome" }));
      expect(await seriousA11yViolations(page)).toEqual([]);

      await page.getByLabel("Amount (USD)").fill("20");
      await page.getByRole("button", { name: "Top up with Stripe Checkout" }).click();
      await page.waitForEvent("requestfailed");
      const [session] = [...env.fake.sessions.values()];
      expect(session).toMatchObject({ client_reference_id: ann.id, amount_total: 2000 });
      expect(requests.filter((u) => !u.startsWith(`${server.url}/`))).toEqual([session!.url]);

      const back = await context.newPage();
      await back.goto(`${server.url}/#/billing?checkout=complete`);
      await expectVisible(back.getByRole("status").filter({ hasText: "The balance grows when Stripe confirms it." }));
      await context.close();
    },
    BROWSER_TEST_MS,
  );
});
