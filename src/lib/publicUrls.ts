/**
 * Every URL Kriora sends out (emails, Stripe's return addresses), built from `server.public_url`.
 * Each opens a console page: the sign-in and email-change links show a confirm page whose button
 * spends the token (a GET never does), the others open the console at the right view.
 */
export function publicUrls(publicUrl: string) {
  const base = publicUrl.replace(/\/+$/, "");
  const withToken = (path: string, token: string) => `${base}${path}?token=${encodeURIComponent(token)}`;
  return {
    signIn: (token: string) => withToken("/auth/verify", token),
    emailChange: (token: string) => withToken("/account/email/verify", token),
    checkoutReturn: (outcome: "complete" | "cancelled") => `${base}/#/billing?checkout=${outcome}`,
    policy: () => `${base}/privacy`,
    console: (view = "") => `${base}/#/${view}`,
  };
}
