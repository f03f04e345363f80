import { expect, test } from "bun:test";
import { accountWithKey, chat, useCluster, type Instance, CLUSTER_TEST_MS, refusedWithin } from "../helpers/cluster";
import { describeWithServices } from "../helpers/services";

/** Issue 14: keys live in the shared database, revocation reaches every instance through Redis. */
const asOwner = (key: string, body?: unknown): RequestInit => ({
  method: body === undefined ? "DELETE" : "POST",
  headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
  body: body === undefined ? undefined : JSON.stringify(body),
});

const models = (instance: Instance, key: string) =>
  fetch(`${instance.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

describeWithServices("several instances: keys (three kriora serve on one PostgreSQL + Redis)", () => {
  const cluster = useCluster({ instances: 3 });

  test(
    "a key issued on A works on B and C",
    async () => {
      const c = cluster();
      const [a, b, cc] = c.instances as [Instance, Instance, Instance];
      const { key: owner } = accountWithKey(c, "issue@multi.example");
      const res = await fetch(`${a.url}/account/keys`, asOwner(owner, { name: "made on A", scopes: ["model"] }));
      expect(res.status).toBe(201);
      const issued = (await res.json()) as { id: string; key: string };
      for (const instance of [b, cc]) {
        const answer = await fetch(`${instance.url}/v1/chat/completions`, chat(issued.key));
        expect({ on: instance.name, status: answer.status }).toEqual({ on: instance.name, status: 200 });
      }
    },
    CLUSTER_TEST_MS,
  );

  test(
    "a key revoked on B is refused on A and C within 1 s (each had just accepted it)",
    async () => {
      const c = cluster();
      const [a, b, cc] = c.instances as [Instance, Instance, Instance];
      const { key: owner } = accountWithKey(c, "revoke@multi.example");
      const issued = (await (await fetch(`${a.url}/account/keys`, asOwner(owner, { scopes: ["model"] }))).json()) as {
        id: string;
        key: string;
      };
      for (const instance of [a, cc]) expect(await models(instance, issued.key)).toBe(200);
      const revoked = await fetch(`${b.url}/account/keys/${issued.id}`, asOwner(owner));
      expect(revoked.status).toBe(200);
      expect(await models(b, issued.key)).toBe(401);
      const [onA, onC] = await Promise.all([refusedWithin(a, issued.key, 1_000), refusedWithin(cc, issued.key, 1_000)]);
      expect({ onA, onC }).toEqual({ onA: true, onC: true });
      // The owner's other key is untouched everywhere.
      for (const instance of [a, b, cc]) expect(await models(instance, owner)).toBe(200);
    },
    CLUSTER_TEST_MS,
  );
});
