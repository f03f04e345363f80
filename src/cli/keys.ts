import { resolveAccount } from "../accounts/accounts";
import { describeKey, issueKey, listKeys, revokeKey, type KeyInfo } from "../keys/apiKeys";
import { rotateKeyring } from "../keys/keyring";
import { keySettings } from "../keys/settings";
import { DAY_MS } from "../lib/clock";
import { MICROS_PER_USD, parseUsd } from "../lib/money";
import { intFlag, requireFlag, stringFlag, UsageError, type CliContext, type Command } from "./frame";

const ACTOR = "cli";
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS, y: 365 * DAY_MS };

/** `90d`, `12h`, `30m`, `1y` → milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+)([mhdy])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new UsageError("--expires takes a duration like 90d, 12h, 30m or 1y");
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

const list = (ctx: CliContext, name: string) =>
  stringFlag(ctx, name)
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function keyLine(k: KeyInfo): string {
  const state = k.revoked_at ? `revoked ${k.revoked_at}` : k.expires_at ? `expires ${k.expires_at}` : "no expiry";
  return `${k.id}\t${k.scopes.join(",")}\t${state}\t${k.name}`;
}

/** API keys and the keyring; issuance, revocation and rotation are audited with actor `cli`. */
export const keyCommands: Command[] = [
  {
    name: "keys issue",
    summary: "Issue an API key and print it once (it is never stored).",
    flags: {
      account: { type: "string", help: "the account (email or id)" },
      name: { type: "string", help: "a label for the key" },
      scopes: { type: "string", help: "comma-separated: model, account, admin (default model)" },
      expires: { type: "string", help: "lifetime, e.g. 90d, 12h (default: no expiry)" },
      rpm: { type: "string", help: "requests per minute for this key" },
      tpm: { type: "string", help: "tokens per minute for this key" },
      "require-zdr": { type: "boolean", help: "only route to providers with zero data retention" },
      regions: { type: "string", help: "comma-separated provider regions allowed" },
      models: { type: "string", help: "comma-separated model ids allowed" },
      budget: { type: "string", help: "this key's own monthly spend cap in USD, e.g. 25 or 2.50" },
    },
    async run(ctx) {
      const deps = await ctx.deps();
      const account = await resolveAccount(deps, requireFlag(ctx, "account"));
      const expires = stringFlag(ctx, "expires");
      const budget = stringFlag(ctx, "budget");
      const settings = keySettings(
        {
          name: stringFlag(ctx, "name"),
          scopes: list(ctx, "scopes"),
          expiresInMs: expires === undefined ? undefined : parseDuration(expires),
          rpm: intFlag(ctx, "rpm"),
          tpm: intFlag(ctx, "tpm"),
          requireZdr: ctx.flags["require-zdr"] === true,
          regions: list(ctx, "regions"),
          models: list(ctx, "models"),
          monthlyBudgetUsd: budget === undefined ? undefined : parseUsd(budget, { param: "budget" }) / MICROS_PER_USD,
        },
        deps.clock.now(),
      );
      const { key, row } = await issueKey(deps, account.id, settings, ACTOR);
      ctx.emit({ ...describeKey(row), key });
      ctx.say(`issued ${row.id} for ${account.id}; this is the only time the key is shown:\n${key}`);
    },
  },
  {
    name: "keys list",
    summary: "List an account's keys (never the keys themselves).",
    flags: { account: { type: "string", help: "the account (email or id)" } },
    async run(ctx) {
      const deps = await ctx.deps();
      const infos = (await listKeys(deps, (await resolveAccount(deps, requireFlag(ctx, "account"))).id)).map(
        describeKey,
      );
      ctx.emit(infos);
      for (const k of infos) ctx.say(keyLine(k));
    },
  },
  {
    name: "keys revoke",
    summary: "Revoke a key: refused from the next request on, also by a running server.",
    args: "<key-id>",
    async run(ctx) {
      const [id, extra] = ctx.args;
      if (!id || extra !== undefined) throw new UsageError("expected exactly one <key-id>");
      const info = describeKey(await revokeKey(await ctx.deps(), id, ACTOR));
      ctx.emit(info);
      ctx.say(`revoked ${info.id}`);
    },
  },
  {
    name: "keyring rotate",
    summary: "Add a new signing key; keys signed by older ones keep verifying.",
    async run(ctx) {
      const result = await rotateKeyring(await ctx.deps(), ACTOR);
      ctx.emit(result);
      ctx.say(`new signing key ${result.kid}`);
    },
  },
];
