import type { Config } from "../config/schema";
import type { FieldCipher } from "../crypto/fields";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import type { AuthView } from "./view";

/** What the authenticator uses (the wiring's `Deps` has all of it). */
export interface AuthDeps {
  config: Readonly<Config>;
  db: Db;
  cipher: FieldCipher;
  clock: Clock;
  authView: AuthView;
}
