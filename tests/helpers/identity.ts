import { createAccount, type AccountRow } from "../../src/accounts/accounts";
import { startSession } from "../../src/accounts/sessions";
import type { Deps } from "../../src/deps";
import { issueKey } from "../../src/keys/apiKeys";
import { keySettings, type KeySettingsInput } from "../../src/keys/settings";
import type { Handler } from "./http";

/** An account straight through the service (actor "test"). */
export function makeAccount(deps: Deps, email: string, role: "user" | "admin" = "user"): Promise<AccountRow> {
  return createAccount(deps, { email, role }, "test");
}

/** A fresh `kr_…` key for the account (default scopes: model and account). */
export async function makeKey(
  deps: Deps,
  accountId: string,
  input: KeySettingsInput = {},
): Promise<{ id: string; key: string }> {
  const { key, row } = await issueKey(
    deps,
    accountId,
    keySettings({ scopes: ["model", "account"], ...input }, deps.clock.now()),
    "test",
  );
  return { id: row.id, key };
}

/** A session cookie header value for the account, as `POST /auth/verify` would have set it. */
export async function makeSessionCookie(deps: Deps, accountId: string): Promise<string> {
  return `kriora_session=${(await startSession(deps, accountId)).token}`;
}

export interface CallOptions {
  key?: string;
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One in-process request to the app: bearer key or cookie, JSON body. */
export function call(app: Handler, method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  return app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    }),
  );
}

/** What the console's confirm page does with an emailed link: POST the link's token to its path, from our own origin. */
export function openLink(
  app: Handler,
  link: string,
  headers: Record<string, string> = { "sec-fetch-site": "same-origin" },
): Promise<Response> {
  const url = new URL(link, "http://localhost");
  return call(app, "POST", url.pathname, { body: { token: url.searchParams.get("token") }, headers });
}
