import { expect, test } from "bun:test";
import type { Page } from "playwright-core";
import {
  BROWSER_TEST_MS,
  describeInBrowser,
  openPage,
  expectVisible,
  foreignRequests,
  seriousA11yViolations,
  signIn,
  signInAdmin,
  useConsole,
  type Console,
} from "../helpers/browser";

let c: Console;

const ADMIN_PAGES = ["Accounts", "Rights ledger", "All usage", "Abuse", "Audit", "Policy notices", "Providers"];

/** The status code of an admin route fetched from inside the page, with the page's own session cookie. */
const fromPage = (page: Page, path: string) => page.evaluate(`fetch(${JSON.stringify(path)}).then((r) => r.status)`);

describeInBrowser("console admin pages (§9 access control)", () => {
  useConsole((got) => (c = got));

  test(
    "serve says how to let the first admin in, naming no address; the bootstrap (create --admin, login-link) works",
    async () => {
      const hint = c.serve
        .stdout()
        .split("\n")
        .filter((l) => l.includes("no_admin_yet"));
      expect(hint).toHaveLength(1);
      expect(hint[0]).toContain("kriora accounts login-link");
      expect(c.serve.stdout()).not.toContain("@example.com");
      const context = await c.context();
      await signInAdmin(c, await context.newPage(), "root@example.com");
      const audit = JSON.parse(c.cli("audit", "tail", "--limit", "50", "--json").out) as { action: string }[];
      expect(audit.map((e) => e.action)).toContain("account.login_link_issued");
      await context.close();
    },
    BROWSER_TEST_MS,
  );

  test(
    "an admin finds an account by its email and suspends it (its key stops), then lifts it; every admin page passes axe",
    async () => {
      expect(c.cli("accounts", "create", "--email", "target@example.com").code).toBe(0);
      const issued = JSON.parse(
        c.cli("keys", "issue", "--account", "target@example.com", "--scopes", "account", "--json").out,
      ) as { key: string };
      const asTarget = () =>
        fetch(`${c.url}/account`, { headers: { authorization: `Bearer ${issued.key}` } }).then((r) => r.status);
      expect(await asTarget()).toBe(200);

      const context = await c.context();
      const page = await context.newPage();
      await signInAdmin(c, page, "root@example.com");
      await openPage(page, "Accounts");
      await page.getByLabel("Email address (exact)").fill("TARGET@example.com");
      await page.getByRole("button", { name: "Find account" }).click();
      await expectVisible(page.getByRole("heading", { name: "target@example.com" }));
      expect(await page.getByTestId("account-status").textContent()).toBe("active");
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.getByRole("button", { name: "Suspend" }).click();
      await expectVisible(page.getByTestId("account-status").filter({ hasText: "suspended" }));
      expect(await asTarget()).toBe(401);
      await page.getByRole("button", { name: "Unsuspend" }).click();
      await expectVisible(page.getByTestId("account-status").filter({ hasText: "active" }));
      expect(await asTarget()).toBe(200);
      await page.getByLabel("Amount (USD)").fill("5");
      await page.getByLabel(/^Reason/).fill("welcome credit");
      await page.getByRole("button", { name: "Grant credits" }).click();
      await expectVisible(page.getByRole("status").filter({ hasText: "Granted $5." }));
      expect(JSON.parse(c.cli("credits", "show", "--account", "target@example.com", "--json").out)).toMatchObject({
        balance_usd: "5.00",
      });

      for (const name of ADMIN_PAGES) {
        await openPage(page, name);
        expect([name, await page.getByRole("alert").count(), await seriousA11yViolations(page)]).toEqual([name, 0, []]);
      }
      await openPage(page, "Audit");
      await expectVisible(page.getByText(/Audit trail intact: \d+ entries/));
      await openPage(page, "Providers");
      await expectVisible(page.getByRole("cell", { name: "oa", exact: true }));
      await context.close();
      expect(foreignRequests(c)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    "an objection to abuse detection reaches the admin's ledger and is decided there",
    async () => {
      expect(c.cli("accounts", "create", "--email", "objector@example.com").code).toBe(0);
      const user = await c.context();
      const userPage = await user.newPage();
      await signIn(c, userPage, "objector@example.com");
      await openPage(userPage, "Privacy");
      await userPage.getByLabel("Processing you object to").selectOption("abuse_detection");
      await userPage.getByRole("button", { name: "Send objection" }).click();
      await expectVisible(userPage.getByRole("cell", { name: "object (abuse_detection)" }));

      const admin = await c.context();
      const page = await admin.newPage();
      await signInAdmin(c, page, "root@example.com");
      await openPage(page, "Rights ledger");
      await page.getByRole("button", { name: "Uphold" }).first().click();
      await expectVisible(page.getByRole("cell", { name: /^upheld/ }));
      await userPage.reload();
      await expectVisible(userPage.getByRole("cell", { name: /^upheld/ }));
      await user.close();
      await admin.close();
    },
    BROWSER_TEST_MS,
  );

  test(
    "a non-admin sees no admin page, and the admin routes answer 403 to their session",
    async () => {
      expect(c.cli("accounts", "create", "--email", "plain@example.com").code).toBe(0);
      const context = await c.context();
      const page = await context.newPage();
      await signIn(c, page, "plain@example.com");
      for (const name of ADMIN_PAGES)
        expect([name, await page.getByRole("link", { name, exact: true }).count()]).toEqual([name, 0]);
      await page.goto(`${c.url}/#/admin`);
      await expectVisible(page.getByRole("heading", { name: "Not found" }));
      for (const path of [
        "/admin/accounts",
        "/admin/abuse",
        "/admin/audit",
        "/admin/audit/verify",
        "/admin/policy",
        "/admin/providers",
        "/admin/privacy/requests",
        "/admin/usage/trends",
      ])
        expect([path, await fromPage(page, path)]).toEqual([path, 403]);
      await context.close();
    },
    BROWSER_TEST_MS,
  );
});
