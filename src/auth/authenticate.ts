import { KrioraError } from "../lib/errors";
import type { Authenticator } from "./principal";

/** Until accounts and keys exist (issue 3) no credential is accepted: every call is refused. */
export function createAuthenticator(): Authenticator {
  return {
    async authenticate() {
      throw new KrioraError("unauthenticated", "Missing or invalid API key.");
    },
  };
}
