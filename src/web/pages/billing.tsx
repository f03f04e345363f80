import { useState } from "preact/hooks";
import { api } from "../api";
import { ActionForm, Loading, Notice, useLoad, when } from "../ui";

interface BillingData {
  mode: "off" | "prepaid" | "metered";
  balance_usd: string;
  ledger: { id: string; at: string; kind: string; amount_usd: string; reason: string | null }[];
}

const RETURNS: Record<string, string> = {
  complete: "Thank you: your payment is being confirmed. The balance grows when Stripe confirms it.",
  cancelled: "The checkout was cancelled; nothing was charged.",
};

/** Balance, ledger and a Stripe Checkout top-up (prepaid), when billing is on. */
export function Billing() {
  const billing = useLoad(() => api<BillingData>("GET", "/account/billing"));
  const [amount, setAmount] = useState("10");
  const back = new URLSearchParams(location.hash.split("?")[1] ?? "").get("checkout");
  if (!billing.data) return <Loading error={billing.error} />;
  const b = billing.data;
  if (b.mode === "off") return <p>Billing is off on this server: there is nothing to pay.</p>;
  return (
    <>
      <Notice ok={back ? RETURNS[back] : null} />
      <p>
        Balance: <strong>${b.balance_usd}</strong> ({b.mode})
      </p>
      {b.mode === "prepaid" ? (
        <ActionForm
          label="Top up with Stripe Checkout"
          run={async () => {
            const checkout = await api<{ url: string }>("POST", "/account/billing/checkout", { amount_usd: amount });
            location.assign(checkout.url);
          }}
        >
          <label>
            Amount (USD)
            <input
              name="amount_usd"
              inputMode="decimal"
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
            />
          </label>
        </ActionForm>
      ) : null}
      <table>
        <caption>Ledger, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Kind</th>
            <th scope="col">Amount (USD)</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {b.ledger.map((r) => (
            <tr key={r.id}>
              <td>{when(r.at)}</td>
              <td>{r.kind}</td>
              <td>{r.amount_usd}</td>
              <td>{r.reason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
