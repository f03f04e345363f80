import { api, type Account, type Totals } from "../api";
import { Loading, useLoad } from "../ui";

interface OverviewData {
  public_url: string;
  billing_mode: "off" | "prepaid" | "metered";
  balance_usd: string | null;
  month_to_date: Totals;
  limits: { rpm: number | null; tpm: number | null; concurrency: number | null; monthly_budget_usd: string | null };
  policy_in_force: string;
}

export const loadOverview = () => api<OverviewData>("GET", "/account/overview");

const limit = (n: number | string | null, unit: string) => (n === null ? "no limit" : `${n} ${unit}`);

export function Overview({ me }: { me: Account }) {
  const o = useLoad(loadOverview);
  if (!o.data) return <Loading error={o.error} />;
  const d = o.data;
  return (
    <>
      <dl class="cards">
        {d.billing_mode === "prepaid" ? (
          <div>
            <dt>Balance</dt>
            <dd>${d.balance_usd}</dd>
          </div>
        ) : null}
        <div>
          <dt>Spent this month</dt>
          <dd>${d.month_to_date.cost_usd}</dd>
        </div>
        <div>
          <dt>Requests this month</dt>
          <dd>{d.month_to_date.requests}</dd>
        </div>
        <div>
          <dt>Account status</dt>
          <dd>{me.status}</dd>
        </div>
      </dl>
      <h2>Limits in force</h2>
      <ul>
        <li>Requests per minute: {limit(d.limits.rpm, "")}</li>
        <li>Tokens per minute: {limit(d.limits.tpm, "")}</li>
        <li>Requests at once: {limit(d.limits.concurrency, "")}</li>
        <li>Monthly budget: {d.limits.monthly_budget_usd === null ? "no limit" : `$${d.limits.monthly_budget_usd}`}</li>
      </ul>
      <h2>Privacy policy</h2>
      <p>
        In force: version {d.policy_in_force}. You accepted: {me.policy_version ?? "none yet"}.{" "}
        {me.policy_version !== d.policy_in_force ? <a href="#/data">Review and accept it</a> : null}
      </p>
      <p>
        Your API endpoint: <code>{d.public_url.replace(/\/+$/, "")}/v1</code> · <a href="#/keys">Create a key</a>
      </p>
    </>
  );
}
