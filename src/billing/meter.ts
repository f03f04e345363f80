import { and, count, eq, isNotNull, isNull, lte } from "drizzle-orm";
import { meterOutbox } from "../db/schema";
import { errorKind } from "../lib/log";
import type { Tx } from "../db/tx";
import type { UsageRow } from "../usage/writer";
import type { BillingContext } from "./context";
import { ensureCustomer } from "./customers";
import { isTransient, stripeFailure } from "./stripe";
import { all, exec, one } from "../db/tx";

/** The Stripe meter's `event_name`; its value is the request's cost in micro-dollars (README, Billing). */
export const METER_EVENT_NAME = "kriora_usage";

type OutboxRow = typeof meterOutbox.$inferSelect;

const BATCH = 200;
/** Stripe allows one call at a time per customer and meter: rows of one account go in order, accounts in parallel. */
const PARALLEL_ACCOUNTS = 4;
const MAX_BACKOFF_MS = 3_600_000;
/** Stripe accepts meter events up to 35 days old; older ones are parked rather than retried forever. */
const MAX_AGE_MS = 35 * 86_400_000;

/** Inside the usage flush transaction: one outbox row per billable request. */
export async function enqueueMeterEvents(tx: Tx, rows: readonly UsageRow[], now: number) {
  const billable = rows.filter((r) => r.costMicros > 0);
  for (let i = 0; i < billable.length; i += BATCH) {
    const chunk = billable.slice(i, i + BATCH).map((r) => ({
      requestId: r.id,
      accountId: r.accountId,
      at: r.at,
      valueMicros: r.costMicros,
      nextAttemptAt: now,
    }));
    await exec(tx.insert(meterOutbox).values(chunk).onConflictDoNothing());
  }
}

interface MeterSender {
  /** Run the loop; a pass is skipped while `leads()` says another instance sends (leader lock). */
  start(leads: () => boolean): void;
  /** Send every due row now, until a pass sends nothing; returns how many Stripe accepted. */
  drain(): Promise<number>;
  /** Stop the loop and wait for an in-flight pass (SIGTERM). Unsent rows wait in the outbox. */
  stop(): Promise<void>;
}

/**
 * Metered mode: a background loop sends the outbox to Stripe Billing Meters, one event per
 * request with the request id as `identifier` (and in the idempotency key), so a resend after a
 * crash between Stripe's acceptance and the row's deletion is counted once by Stripe. A failure
 * backs the row off exponentially (up to an hour) and is retried until accepted.
 */
export function createMeterSender(ctx: BillingContext, intervalMs = 1000): MeterSender {
  const due = (now: number) =>
    ctx.db
      .select()
      .from(meterOutbox)
      .where(and(isNull(meterOutbox.failedCode), lte(meterOutbox.nextAttemptAt, now)))
      .orderBy(meterOutbox.nextAttemptAt, meterOutbox.at)
      .limit(BATCH);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = true;
  let leads = () => true;
  // Passes never overlap: the loop and drain() queue behind each other.
  let last: Promise<unknown> = Promise.resolve();

  const send = async (row: OutboxRow): Promise<boolean> => {
    try {
      const customer = await ensureCustomer(ctx, row.accountId);
      await ctx.stripe.billing.meterEvents.create(
        {
          event_name: METER_EVENT_NAME,
          identifier: row.requestId,
          timestamp: Math.floor(row.at / 1000),
          payload: { stripe_customer_id: customer, value: String(row.valueMicros) },
        },
        { idempotencyKey: `kriora-meter-${row.requestId}` },
      );
      await exec(ctx.db.delete(meterOutbox).where(eq(meterOutbox.requestId, row.requestId)));
      return true;
    } catch (err) {
      const f = stripeFailure(err);
      const now = ctx.clock.now();
      const parked = now - row.at > MAX_AGE_MS ? (f.code ?? f.type) : null;
      const next = now + Math.min(1000 * 2 ** row.attempts, MAX_BACKOFF_MS);
      await exec(
        ctx.db
          .update(meterOutbox)
          .set({ attempts: row.attempts + 1, nextAttemptAt: next, failedCode: parked })
          .where(eq(meterOutbox.requestId, row.requestId)),
      );
      if (row.attempts === 0 || parked)
        (isTransient(f) ? ctx.log.warn : ctx.log.error)("meter_event_failed", { ...f, parked: parked !== null });
      return false;
    }
  };

  const pass = async (): Promise<number> => {
    const byAccount = new Map<string, OutboxRow[]>();
    for (const row of await all(due(ctx.clock.now()))) {
      const rows = byAccount.get(row.accountId);
      if (rows) rows.push(row);
      else byAccount.set(row.accountId, [row]);
    }
    const queues = [...byAccount.values()];
    let sent = 0;
    const worker = async () => {
      for (let rows = queues.shift(); rows; rows = queues.shift()) {
        for (const row of rows) {
          if (!(await send(row))) break;
          sent++;
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_ACCOUNTS }, worker));
    return sent;
  };

  const runPass = (): Promise<number> => {
    const run = last.then(pass);
    last = run.catch(() => 0);
    return run;
  };
  const tick = () => {
    timer = undefined;
    (leads() ? runPass() : Promise.resolve(0))
      .catch((err: unknown) => ctx.log.error("meter_sender_failed", { kind: errorKind(err) }))
      .finally(() => {
        if (!stopped) schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref?.();
  };

  return {
    start(leader) {
      if (!stopped) return;
      stopped = false;
      leads = leader;
      schedule();
    },
    async drain() {
      let total = 0;
      for (let sent = await runPass(); sent > 0; sent = await runPass()) total += sent;
      return total;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await last;
    },
  };
}

export async function outboxCounts(db: BillingContext["db"], accountId?: string) {
  const scope = accountId === undefined ? undefined : eq(meterOutbox.accountId, accountId);
  const pending =
    (
      await one(
        db
          .select({ n: count() })
          .from(meterOutbox)
          .where(and(scope, isNull(meterOutbox.failedCode))),
      )
    )?.n ?? 0;
  const parked =
    (
      await one(
        db
          .select({ n: count() })
          .from(meterOutbox)
          .where(and(scope, isNotNull(meterOutbox.failedCode))),
      )
    )?.n ?? 0;
  return { pending, parked };
}
