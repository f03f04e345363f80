/** What an API key or a session may do; a key carries a subset. */
export const SCOPES = ["model", "account", "admin"] as const;
export type Scope = (typeof SCOPES)[number];
