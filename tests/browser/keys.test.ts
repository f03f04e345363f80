import { expect, test } from "bun:test";
import OpenAI from "openai";
import {
  BROWSER_TEST_MS,
  describeInBrowser,
  openPage,
  expectVisible,
  foreignRequests,
  MODEL,
  seriousA11yViolations,
  signIn,
  useConsole,
  type Console,
} from "../helpers/browser";

let c: Console;

describeInBrowser("console keys and usage", () => {
  useConsole((got) => (c = got));

  test(
    "create a key in the UI → the official OpenAI SDK calls a model with the key read from the page → the usage page shows it; revoke → 401",
    async () => {
      expect(c.cli("accounts", "create", "--email", "dev@example.com").code).toBe(0);
      const context = await c.context();
      const page = await context.newPage();
      await signIn(c, page, "dev@example.com");
      await openPage(page, "Keys");
      await page.getByLabel("Name").fill("laptop");
      await page.getByLabel(/Allowed models/).fill(MODEL);
      await page.getByLabel("Requests per minute").fill("60");
      await page.getByRole("button", { name: "Create key" }).click();
      const key = (await page.getByTestId("issued-key").textContent())!;
      expect(key).toMatch(/^kr_/);
      await expectVisible(page.getByText(`base_url="${c.origin}/v1", api_key="${key}"`));
      await expectVisible(page.getByText(`Anthropic(base_url="${c.origin}"`));
      expect(await seriousA11yViolations(page)).toEqual([]);

      const client = new OpenAI({ baseURL: `${c.url}/v1`, apiKey: key });
      const answer = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "hello" }],
      });
      expect(answer.choices[0]!.message.content).toBe(c.fake.reply);

      await openPage(page, "Usage");
      const row = page.getByRole("row").filter({ hasText: MODEL });
      const chart = page.getByRole("img", { name: "Cost per day (USD)" });
      // The writer flushes within 100 ms; the page reads the aggregates (per day, per model) when it opens.
      for (let i = 0; i < 20; i++) {
        await page.getByText("Loading…").first().waitFor({ state: "detached" });
        if ((await row.count()) > 0 && (await chart.count()) > 0) break;
        await Bun.sleep(100);
        await page.reload();
      }
      await expectVisible(row);
      expect((await row.locator("td").nth(1).textContent())!.trim()).toBe("1");
      await expectVisible(chart);
      expect(await seriousA11yViolations(page)).toEqual([]);
      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Download per-model CSV" }).click();
      const csv = await Bun.file((await (await download).path())!).text();
      expect(csv.split("\n")[1]).toStartWith(`"${MODEL}","1",`);

      await openPage(page, "Keys");
      page.once("dialog", (d) => void d.accept());
      await page.getByRole("button", { name: /^Revoke laptop/ }).click();
      await expectVisible(page.getByRole("cell", { name: /^revoked/ }));
      const refused = await client.chat.completions
        .create({ model: MODEL, messages: [{ role: "user", content: "again" }] })
        .catch((e: { status: number }) => e);
      expect((refused as { status: number }).status).toBe(401);
      await context.close();
      expect(foreignRequests(c)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  test(
    "a key's own monthly budget set in the form is stored and enforced: past it, 402",
    async () => {
      expect(c.cli("accounts", "create", "--email", "budget@example.com").code).toBe(0);
      const context = await c.context();
      const page = await context.newPage();
      await signIn(c, page, "budget@example.com");
      await openPage(page, "Keys");
      await page.getByLabel("Name").fill("capped");
      await page.getByLabel("Monthly budget (USD)").fill("0.000001");
      await page.getByRole("button", { name: "Create key" }).click();
      const key = (await page.getByTestId("issued-key").textContent())!;
      await expectVisible(page.getByRole("cell", { name: /\$0\.000001\/month/ }));
      const client = new OpenAI({ baseURL: `${c.url}/v1`, apiKey: key, maxRetries: 0 });
      await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "spend" }] });
      let status = 200;
      for (let i = 0; i < 20 && status === 200; i++) {
        await Bun.sleep(100);
        status = await client.chat.completions
          .create({ model: MODEL, messages: [{ role: "user", content: "more" }] })
          .then(
            () => 200,
            (e: { status: number }) => e.status,
          );
      }
      expect(status).toBe(402);
      await context.close();
    },
    BROWSER_TEST_MS,
  );
});
