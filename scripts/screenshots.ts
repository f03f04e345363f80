/**
 * `npm run screenshots`: the console's main pages as small PNGs in docs/console/ (README's
 * Console section), taken from a real `kriora serve` with sample data, in Debian's Chromium.
 */
import OpenAI from "openai";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { MODEL, openPage, signIn, signInAdmin, startConsole } from "../tests/helpers/browser";

const out = join(import.meta.dir, "../docs/console");
const c = await startConsole();
try {
  const user = "ada@example.com";
  c.cli("accounts", "create", "--email", user);
  const context = await c.context();
  const page = await context.newPage();
  await page.setViewportSize({ width: 1100, height: 720 });
  const shot = (name: string) => page.screenshot({ path: join(out, `${name}.png`) });

  await page.goto(`${c.url}/#/signup`);
  await shot("sign-up");
  await signIn(c, page, user);
  await openPage(page, "Keys");
  await page.getByLabel("Name").fill("laptop");
  await page.getByLabel("Monthly budget (USD)").fill("20");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("issued-key").textContent())!;
  await shot("keys");
  const client = new OpenAI({ baseURL: `${c.url}/v1`, apiKey: key });
  for (let i = 0; i < 3; i++)
    await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hello" }] });
  await Bun.sleep(300);
  await openPage(page, "Overview");
  await shot("overview");
  await openPage(page, "Usage");
  await shot("usage");
  await openPage(page, "Privacy");
  await shot("privacy");

  const admin = await c.context();
  const adminPage: Page = await admin.newPage();
  await adminPage.setViewportSize({ width: 1100, height: 720 });
  await signInAdmin(c, adminPage, "root@example.com");
  await openPage(adminPage, "Accounts");
  await adminPage.getByLabel("Email address (exact)").fill(user);
  await adminPage.getByRole("button", { name: "Find account" }).click();
  await adminPage.getByTestId("account-status").waitFor();
  await adminPage.screenshot({ path: join(out, "admin-accounts.png") });
  await openPage(adminPage, "Providers");
  await adminPage.screenshot({ path: join(out, "admin-providers.png") });
  console.log(`screenshots written to ${out}`);
} finally {
  await c.stop();
}
