import type { AccountDeps } from "../accounts/accountDeps";

/** What the key services use (the wiring's `Deps` has all of it). */
export interface KeyDeps extends Pick<AccountDeps, "db" | "cipher" | "audit" | "clock"> {
  /** The in-memory view the authenticator reads (auth/view.ts), told when a key or the keyring changes. */
  authView: { refreshKey(id: string): Promise<void>; refreshSigningKeys(): Promise<void> };
}
