import { expect, test } from "bun:test";
import {
  BROWSER_TEST_MS,
  describeInBrowser,
  expectVisible,
  foreignRequests,
  openPage,
  seriousA11yViolations,
  signIn,
  useConsole,
  type Console,
} from "../helpers/browser";

let c: Console;

const USER_PAGES = ["Overview", "Keys", "Usage", "Billing", "Privacy", "Settings"];

describeInBrowser("every console page: axe-core, this origin only, keyboard (§9, §11)", () => {
  useConsole((got) => (c = got));

  test(
    "each page a person sees has no serious or critical axe violation and asks nothing of another origin",
    async () => {
      expect(c.cli("accounts", "create", "--email", "pages@example.com").code).toBe(0);
      const context = await c.context();
      const page = await context.newPage();
      await signIn(c, page, "pages@example.com");
      for (const name of USER_PAGES) {
        await openPage(page, name);
        await expectVisible(page.getByTestId("signed-in-email").filter({ hasText: "pages@example.com" }));
        await expectVisible(page.getByRole("button", { name: "Sign out" }));
        expect([name, await seriousA11yViolations(page)]).toEqual([name, []]);
      }
      await openPage(page, "Billing");
      await expectVisible(page.getByText("Billing is off on this server"));
      await page.goto(`${c.url}/privacy`);
      await expectVisible(page.getByRole("heading", { name: "Privacy policy" }));
      await expectVisible(page.getByRole("cell", { name: "oa" }));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.goto(`${c.url}/#/signup`);
      await context.close();
      expect(c.requests.length).toBeGreaterThan(10);
      expect(foreignRequests(c)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    "nothing in localStorage, sessionStorage or a cookie but the HttpOnly session",
    async () => {
      expect(c.cli("accounts", "create", "--email", "storage@example.com").code).toBe(0);
      const context = await c.context();
      const page = await context.newPage();
      await signIn(c, page, "storage@example.com");
      await openPage(page, "Keys");
      await page.getByRole("button", { name: "Create key" }).click();
      await expectVisible(page.getByTestId("issued-key"));
      expect(await page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")).toEqual([0, 0, ""]);
      expect((await context.cookies()).map((k) => [k.name, k.httpOnly])).toEqual([["kriora_session", true]]);
      await context.close();
    },
    BROWSER_TEST_MS,
  );

  test(
    "settings: change the email through the emailed confirm page; sign out everywhere ends the other browser's session",
    async () => {
      expect(c.cli("accounts", "create", "--email", "mover@example.com").code).toBe(0);
      const phone = await c.context();
      await signIn(c, await phone.newPage(), "mover@example.com");
      const context = await c.context();
      const page = await context.newPage();
      await signIn(c, page, "mover@example.com");
      await openPage(page, "Settings");
      await page.getByLabel("New email address").fill("moved@example.com");
      await page.getByRole("button", { name: "Change email" }).click();
      await expectVisible(page.getByRole("status").filter({ hasText: "moved@example.com" }));
      let link: string | undefined;
      while (!link) link = /http:\/\/\S+\/account\/email\/verify\?token=\S+/.exec((await c.smtp.next()).text)?.[0];
      // Opening the link (a GET) changes nothing; the button does.
      await page.goto(link);
      expect(JSON.parse(c.cli("accounts", "show", "mover@example.com", "--json").out).email).toBe("mover@example.com");
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.getByRole("button", { name: "Confirm the new address" }).click();
      await expectVisible(page.getByRole("status").filter({ hasText: "is now moved@example.com" }));

      await page.goto(`${c.url}/#/settings`);
      await expectVisible(page.getByTestId("signed-in-email").filter({ hasText: "moved@example.com" }));
      await page.getByRole("button", { name: "Sign out everywhere" }).click();
      await expectVisible(page.getByRole("heading", { name: "Sign in" }));
      const other = await phone.newPage();
      await other.goto(`${c.url}/`);
      await expectVisible(other.getByRole("heading", { name: "Sign in" }));
      await phone.close();
      await context.close();
    },
    BROWSER_TEST_MS,
  );

  test(
    "/docs shows no Scalar cloud control (Ask AI, Deploy, Generate SDKs, Share) and loads nothing from elsewhere",
    async () => {
      const context = await c.context();
      const page = await context.newPage();
      const before = c.requests.length;
      await page.goto(`${c.url}/docs`);
      await expectVisible(page.getByText("Download OpenAPI Document"));
      // Scalar draws its header controls after the operations; give it a moment beyond them.
      await Bun.sleep(1_000);
      for (const name of ["Ask AI", "Deploy", "Generate SDKs", "Share"])
        expect([name, await page.getByRole("button", { name }).count()]).toEqual([name, 0]);
      expect(c.requests.length).toBeGreaterThan(before);
      await context.close();
      expect(foreignRequests(c)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
