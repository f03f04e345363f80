import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { scanBytes, scanDir } from "../helpers/canaryScan";
import {
  BROWSER_TEST_MS,
  describeInBrowser,
  openPage,
  expectVisible,
  foreignRequests,
  seriousA11yViolations,
  signIn,
  useConsole,
  type Console,
} from "../helpers/browser";

let c: Console;

describeInBrowser("console privacy page (§14 rights, §16 policy, §8 erasure)", () => {
  useConsole((got) => (c = got));

  test(
    "export download holds the email; accept the policy; object; erase with the typed address → signed out, the email nowhere in the database files",
    async () => {
      const email = `erase.me.${crypto.randomUUID().slice(0, 8)}@example.com`;
      expect(c.cli("accounts", "create", "--email", email).code).toBe(0);
      const context = await c.context();
      const page = await context.newPage();
      await signIn(c, page, email);
      await openPage(page, "Privacy");
      expect(await seriousA11yViolations(page)).toEqual([]);

      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Download my data" }).click();
      const exported = readFileSync((await (await download).path())!);
      const doc = JSON.parse(exported.toString());
      expect(doc.schema).toBe("kriora.export/v1");
      expect(doc.account.email).toBe(email);
      // Positive control for the scan below: it finds the address where it is.
      expect(scanBytes("export", exported, email).length).toBeGreaterThan(0);
      await expectVisible(page.getByRole("cell", { name: "access" }));

      await page.getByRole("button", { name: "Accept the policy in force" }).click();
      await expectVisible(page.getByText("You accepted: 2025-02-27"));
      await page.getByLabel("Processing you object to").selectOption("usage_trends");
      await page.getByRole("button", { name: "Send objection" }).click();
      await expectVisible(page.getByRole("cell", { name: "object (usage_trends)" }));

      await page.getByLabel("Your email address").fill("someone.else@example.com");
      await page.getByRole("button", { name: "Erase my account" }).click();
      await expectVisible(page.getByRole("alert").filter({ hasText: "Type your email address exactly" }));
      await page.getByLabel("Your email address").fill(email);
      await page.getByRole("button", { name: "Erase my account" }).click();
      await expectVisible(page.getByText("Your account and your data were erased. You are signed out."));
      expect((await context.cookies()).filter((k) => k.name === "kriora_session")).toEqual([]);
      expect((await fetch(`${c.url}/account`, { headers: { cookie: "kriora_session=x" } })).status).toBe(401);
      expect(scanDir(c.dataDir, email)).toEqual([]);
      await context.close();
      expect(foreignRequests(c)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
