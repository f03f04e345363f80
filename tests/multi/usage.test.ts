import { expect, test } from "bun:test";
import { accountWithKey, chat, useCluster, CLUSTER_TEST_MS } from "../helpers/cluster";
import { FAKE_USAGE } from "../helpers/fakeWire";
import { describeWithServices } from "../helpers/services";

/** Issue 14: every instance writes its usage rows to the one database; none is lost or written twice. */
describeWithServices("several instances: usage (three kriora serve on one PostgreSQL + Redis)", () => {
  const cluster = useCluster({ instances: 3 });

  test(
    "usage rows equal the requests made across the three instances, exactly (streams included)",
    async () => {
      const c = cluster();
      const { accountId, key } = accountWithKey(c, "usage@multi.example");
      const made = 90;
      const statuses = await Promise.all(
        Array.from({ length: made }, async (_, i) => {
          const res = await c.fetch("/v1/chat/completions", chat(key, i % 3 === 0 ? { stream: true } : {}));
          await res.text();
          return res.status;
        }),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(made);
      // SIGTERM: each instance drains and flushes what it still holds.
      for (const instance of c.instances) expect(await instance.stop()).toBe(0);
      const usage = c.cli("usage", "--account", accountId);
      expect({
        requests: usage.requests,
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
      }).toEqual({
        requests: made,
        input_tokens: made * FAKE_USAGE.chat.prompt_tokens,
        output_tokens: made * FAKE_USAGE.chat.completion_tokens,
      });
    },
    CLUSTER_TEST_MS,
  );
});
