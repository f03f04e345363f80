import { afterEach } from "bun:test";
import type { Clock } from "../../src/lib/clock";
import { makeTestEnv, type TestEnv } from "./deps";
import { startSmtp, type TestSmtp } from "./smtp";

/** A clock the test moves by hand: `clock.t += 60_000`. */
export const steppingClock = (t = 0) => ({
  t,
  now() {
    return this.t;
  },
});

export interface MailEnv extends TestEnv {
  smtp: TestSmtp;
}

/**
 * Per test file: `open(toml)` starts a real SMTP server on loopback and a test env whose
 * kriora.toml is `toml(smtpUrl)`; both are closed after each test, or when the next one opens.
 */
export function mailEnvs() {
  let current: MailEnv | undefined;
  const close = async () => {
    current?.close();
    await current?.smtp.stop();
    current = undefined;
  };
  afterEach(close);
  return {
    async open(toml: (smtpUrl: string) => string, clock?: Clock): Promise<MailEnv> {
      await close();
      const smtp = await startSmtp();
      current = { ...(await makeTestEnv(toml(smtp.url), { clock })), smtp };
      return current;
    },
  };
}
