import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import { requireEmail } from "../../accounts/accounts";
import { redeemMagicLink, requestLoginLink, requestSignupLink, signupConsent } from "../../accounts/magicLinks";
import { endAllSessions, endSession, SESSION_TTL_MS, startSession } from "../../accounts/sessions";
import { assertSameOrigin, readSessionToken, sessionCookie } from "../../auth/sessionCookie";
import { createSignInThrottle } from "../../auth/throttle";
import { KrioraError } from "../../lib/errors";
import { clientIp } from "../clientIp";
import { actorOf, requireScope } from "../access";
import { TokenBody } from "./accountSchemas";
import { iso } from "../../lib/clock";

const Accepted = t.Object({ status: t.Literal("accepted"), message: t.String() });
const accepted = {
  status: "accepted" as const,
  message: "If this address can sign in, a link is on its way. It works once, for 15 minutes.",
};

/**
 * Sign-up and sign-in by magic link, and the session cookie (Policy §2: email only, no
 * passwords; §11: the cookie only authenticates). Both link requests answer 202 alike whether or
 * not the address has an account.
 */
export function authRoutes(deps: Deps) {
  const throttle = createSignInThrottle(deps.cipher, deps.coord.windows);
  const { public_url } = deps.config.server;
  const secure = public_url.startsWith("https://");
  const publicOrigin = new URL(public_url).origin;

  return new Elysia({ prefix: "/auth", detail: { tags: ["auth"] } })
    .post(
      "/signup",
      async ({ body, request, server, set }) => {
        const consent = signupConsent(deps, {
          age_confirmed: body.age_confirmed ?? false,
          accept_policy: body.accept_policy ?? false,
        });
        const email = requireEmail(body.email);
        const decision = await throttle(clientIp(request, server, deps.config.server), email);
        await requestSignupLink(deps, email, consent, decision);
        set.status = 202;
        return accepted;
      },
      {
        body: t.Object({
          email: t.String({ maxLength: 320 }),
          age_confirmed: t.Optional(t.Boolean({ description: "I am at least the minimum age (policy.minimum_age)" })),
          accept_policy: t.Optional(t.Boolean({ description: "I accept the privacy policy in force" })),
        }),
        response: { 202: Accepted },
        detail: {
          summary: "Sign up: mails a confirmation link (refused without the age confirmation and policy acceptance)",
        },
      },
    )
    .post(
      "/login",
      async ({ body, request, server, set }) => {
        const email = requireEmail(body.email);
        await requestLoginLink(deps, email, await throttle(clientIp(request, server, deps.config.server), email));
        set.status = 202;
        return accepted;
      },
      {
        body: t.Object({ email: t.String({ maxLength: 320 }) }),
        response: { 202: Accepted },
        detail: { summary: "Sign in: mails a magic link" },
      },
    )
    .post(
      "/verify",
      async ({ body, request, set }) => {
        // Only our own page may spend a link: a cross-site form cannot sign a browser into another account.
        assertSameOrigin(request, publicOrigin);
        const accountId = await redeemMagicLink(deps, body.token);
        if (!accountId) throw new KrioraError("unauthenticated", "The link is invalid, expired or already used.");
        const session = await startSession(deps, accountId);
        set.headers["set-cookie"] = sessionCookie(session.token, SESSION_TTL_MS / 1000, secure);
        return { status: "signed_in" as const, account_id: accountId, expires_at: iso(session.expiresAt) };
      },
      {
        body: TokenBody,
        response: t.Object({
          status: t.Literal("signed_in"),
          account_id: t.String(),
          expires_at: t.String({ format: "date-time" }),
        }),
        detail: {
          summary:
            "Spend a magic link's token: sets the session cookie (single use; GET /auth/verify only shows the console's confirm page)",
        },
      },
    )
    .post(
      "/logout",
      async ({ request, set }) => {
        const token = readSessionToken(request);
        if (token) {
          assertSameOrigin(request, publicOrigin);
          await endSession(deps, token);
        }
        set.headers["set-cookie"] = sessionCookie("", 0, secure);
        set.status = 204;
      },
      { detail: { summary: "End the session and clear the cookie" } },
    )
    .post(
      "/logout-all",
      async ({ request, set }) => {
        const principal = await requireScope(deps, request, "account");
        if (principal.via !== "session")
          throw new KrioraError("forbidden", "Signing out everywhere needs a session (a key cannot do it).");
        const ended = await endAllSessions(deps, principal.accountId);
        await deps.audit.record({
          actor: actorOf(principal),
          action: "account.sessions_ended",
          target: principal.accountId,
          details: { sessions: ended },
        });
        set.headers["set-cookie"] = sessionCookie("", 0, secure);
        return { sessions_ended: ended };
      },
      {
        response: t.Object({ sessions_ended: t.Integer() }),
        detail: {
          summary: "Sign out everywhere: end every session of your account and clear this cookie",
          security: [{ session: [] }],
        },
      },
    );
}
