import { expect, test } from "bun:test";
import { accountWithKey, chat, useCluster, type Instance, CLUSTER_TEST_MS, refusedWithin } from "../helpers/cluster";
import { describeWithServices } from "../helpers/services";

/** Issue 14: an erasure on one instance reaches the others' in-memory views through the invalidation feed. */
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describeWithServices("several instances: erasure (three kriora serve on one PostgreSQL + Redis)", () => {
  const cluster = useCluster({ instances: 3 });

  test(
    "an account erased on A: B and C refuse its keys within 1 s and show it erased, without its address",
    async () => {
      const c = cluster();
      const [a, b, cc] = c.instances as [Instance, Instance, Instance];
      const admin = c.cli("accounts", "create", "--email", "admin@multi.example", "--admin");
      const adminKey = c.cli("keys", "issue", "--account", admin.id, "--scopes", "admin").key;
      const person = accountWithKey(c, "erase@multi.example");
      // Each instance has just served the person (their key and account are in its memory).
      for (const instance of [a, b, cc]) {
        expect((await fetch(`${instance.url}/v1/chat/completions`, chat(person.key))).status).toBe(200);
        expect((await fetch(`${instance.url}/account`, { headers: bearer(person.key) })).status).toBe(200);
      }

      const erased = await fetch(`${a.url}/admin/accounts/${person.accountId}/delete`, {
        method: "POST",
        headers: { ...bearer(adminKey), "content-type": "application/json" },
        body: JSON.stringify({ reason: "request" }),
      });
      expect(erased.status).toBe(200);

      const [onB, onC] = await Promise.all([refusedWithin(b, person.key, 1_000), refusedWithin(cc, person.key, 1_000)]);
      expect({ onB, onC }).toEqual({ onB: true, onC: true });
      for (const instance of [b, cc]) {
        expect((await fetch(`${instance.url}/account`, { headers: bearer(person.key) })).status).toBe(401);
        const shown = await fetch(`${instance.url}/admin/accounts/${person.accountId}`, { headers: bearer(adminKey) });
        const account = (await shown.json()) as { status: string; email: string | null };
        expect({ on: instance.name, status: account.status, email: account.email }).toEqual({
          on: instance.name,
          status: "erased",
          email: null,
        });
      }
    },
    CLUSTER_TEST_MS,
  );
});
