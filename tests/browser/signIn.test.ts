import { expect, test } from "bun:test";
import {
  BROWSER_TEST_MS,
  confirmLink,
  describeInBrowser,
  expectVisible,
  foreignRequests,
  linkFor,
  seriousA11yViolations,
  useConsole,
  type Console,
} from "../helpers/browser";

let c: Console;

describeInBrowser("console sign-up and sign-in (§2 email only, §15 age, §7 consent)", () => {
  useConsole((got) => (c = got));

  test(
    "sign-up → email → the link's confirm page → one click → overview with the email in the header",
    async () => {
      const context = await c.context();
      const page = await context.newPage();
      await page.goto(`${c.url}/#/signup`);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.getByLabel("Email address").fill("new.person@example.com");
      await page.getByLabel("I confirm I am at least 13 years old").check();
      await page.getByLabel(/accept the privacy policy/).check();
      await page.getByRole("button", { name: "Create account" }).click();
      await expectVisible(page.getByRole("status").filter({ hasText: "link is on its way" }));

      const link = await linkFor(c, "new.person@example.com");
      expect(link.startsWith(`${c.origin}/auth/verify?token=`)).toBe(true);
      await page.goto(link);
      await expectVisible(page.getByRole("button", { name: "Sign in" }));
      expect(await seriousA11yViolations(page)).toEqual([]);
      // The token leaves the address bar as soon as the page has it.
      expect(page.url()).toBe(`${c.origin}/auth/verify`);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expectVisible(page.getByTestId("signed-in-email").filter({ hasText: "new.person@example.com" }));
      await expectVisible(page.getByRole("heading", { name: "Overview" }));
      await expectVisible(page.getByText("In force: version 2025-02-27. You accepted: 2025-02-27."));
      expect(await seriousA11yViolations(page)).toEqual([]);

      await page.getByRole("button", { name: "Sign out" }).click();
      await expectVisible(page.getByRole("heading", { name: "Sign in" }));
      expect((await context.cookies()).filter((k) => k.name === "kriora_session")).toEqual([]);
      await context.close();
      expect(foreignRequests(c)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    "a GET of the link (a mail scanner, a prefetch) shows the confirm page and leaves the link valid",
    async () => {
      expect(c.cli("accounts", "create", "--email", "scanned@example.com").code).toBe(0);
      await fetch(`${c.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "scanned@example.com" }),
      });
      const link = await linkFor(c, "scanned@example.com");
      for (let i = 0; i < 3; i++) {
        const scanned = await fetch(link);
        expect(scanned.status).toBe(200);
        expect(scanned.headers.get("content-type")).toContain("text/html");
        expect(scanned.headers.get("set-cookie")).toBeNull();
      }
      // A cross-site form POST of the token is refused and does not spend it either.
      const token = new URL(link).searchParams.get("token");
      const forged = await fetch(`${c.url}/auth/verify`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://evil.example" },
        body: JSON.stringify({ token }),
      });
      expect(forged.status).toBe(403);
      const context = await c.context();
      await confirmLink(await context.newPage(), link, "scanned@example.com");
      await context.close();
    },
    BROWSER_TEST_MS,
  );

  test(
    "keyboard only: sign in from the sign-in page with Tab, typing and Enter",
    async () => {
      expect(c.cli("accounts", "create", "--email", "keys.only@example.com").code).toBe(0);
      const context = await c.context();
      const page = await context.newPage();
      await page.goto(`${c.url}/`);
      await expectVisible(page.getByRole("heading", { name: "Sign in" }));
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement.name")).toBe("email");
      await page.keyboard.type("keys.only@example.com");
      await page.keyboard.press("Enter");
      await expectVisible(page.getByRole("status"));
      await page.goto(await linkFor(c, "keys.only@example.com"));
      await expectVisible(page.getByRole("button", { name: "Sign in" }));
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement.textContent")).toBe("Sign in");
      await page.keyboard.press("Enter");
      await expectVisible(page.getByTestId("signed-in-email").filter({ hasText: "keys.only@example.com" }));
      await context.close();
    },
    BROWSER_TEST_MS,
  );
});
