import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";

const Jwk = t.Object({
  kty: t.String(),
  crv: t.String(),
  x: t.String(),
  kid: t.String(),
  alg: t.String(),
  use: t.String(),
});

/** The keyring's public keys, so a team's own services can verify Kriora keys offline. */
export function jwksRoutes(deps: Deps) {
  return new Elysia({ detail: { tags: ["ops"] } }).get(
    "/.well-known/jwks.json",
    async ({ set }) => {
      await deps.authView.sync();
      set.headers["cache-control"] = "public, max-age=300";
      return {
        keys: deps.authView
          .publicKeys()
          .map(({ jwk }) => ({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, kid: jwk.kid, alg: jwk.alg, use: jwk.use })),
      };
    },
    { response: t.Object({ keys: t.Array(Jwk) }), detail: { summary: "Public keys that sign Kriora API keys (JWKS)" } },
  );
}
