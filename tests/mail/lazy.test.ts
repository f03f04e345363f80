import { describe, expect, test } from "bun:test";
import { join } from "node:path";

/** A mailer made in a fresh process, with `sends` mails tried (to a closed port); prints the nodemailer modules loaded. */
const loaded = (sends: number): string[] => {
  const script = `
    import { createMailer } from ${JSON.stringify(join(import.meta.dir, "../../src/mail/mailer.ts"))};
    import { silentLogger } from ${JSON.stringify(join(import.meta.dir, "../../src/lib/log.ts"))};
    const mailer = createMailer({ smtp_url: "smtp://127.0.0.1:9", from: "gateway@example.com" }, silentLogger);
    for (let i = 0; i < ${sends}; i++) console.error(await mailer.send({ to: "a@example.com", subject: "s", text: "t", kind: "test" }));
    console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes("/node_modules/nodemailer/"))));`;
  const run = Bun.spawnSync([process.execPath, "-e", script], {
    cwd: join(import.meta.dir, "../.."),
    stdout: "pipe",
    stderr: "pipe",
  });
  return JSON.parse(run.stdout.toString());
};

describe("idle memory (issue 15): nodemailer is loaded with the first mail", () => {
  test("a configured mailer that sent nothing has no nodemailer module in memory; after one send (control) it has", () => {
    expect(loaded(0)).toEqual([]);
    expect(loaded(1).length).toBeGreaterThan(0);
  }, 30_000);
});
