/** The text at the top of the published document (Markdown). */
export function gettingStarted(publicUrl: string): string {
  return [
    "Privacy-first AI API gateway. Prompts and responses are processed in memory only and never stored.",
    "",
    "## Getting started",
    "1. Get an account: sign up with `POST /auth/signup` (a sign-in link is mailed to you), or ask the operator (`kriora accounts create`).",
    "2. Create an API key: `POST /account/keys` while signed in, or the operator runs `kriora keys issue`. The key (`kr_…`) is shown once.",
    `3. Call the model API with any OpenAI or Anthropic client, base URL \`${publicUrl}/v1\`, the key as \`Authorization: Bearer kr_…\` (or \`x-api-key: kr_…\`):`,
    "",
    "```sh",
    `curl ${publicUrl}/v1/chat/completions -H "Authorization: Bearer $KRIORA_KEY" -H "content-type: application/json" \\`,
    `  -d '{"model":"<a model from GET /v1/models>","messages":[{"role":"user","content":"Hello"}]}'`,
    "```",
    "",
    "## Errors",
    "Every error is JSON in OpenAI's envelope (`Error`: `{error:{message,type,code,param},request_id}`), except on `/v1/messages`, which answers in Anthropic's shape (`AnthropicError`). Messages never echo what you sent.",
  ].join("\n");
}

/** One line per tag, in the order the reference shows them. */
export const tagDescriptions: Record<string, string> = {
  model:
    "The model API: OpenAI-format chat, completions, embeddings and responses, Anthropic's messages, and the models a key may use. Bodies are relayed in memory only.",
  account: "Your account and its API keys (session cookie or an API key with the account scope).",
  usage: "Token, request and cost totals: yours, and per account for admins.",
  billing: "Balance, ledger and Stripe checkout (when billing is enabled).",
  privacy: "Your data rights: export, correction, erasure, restriction, objection, and the policy you accepted.",
  auth: "Sign-up and sign-in by emailed link; the session cookie.",
  admin: "Operator routes: accounts, keys, credits and privacy requests (admin scope).",
  ops: "Health, readiness, the privacy policy text and Prometheus metrics.",
  webhooks: "Incoming webhooks from Stripe (signed).",
};
