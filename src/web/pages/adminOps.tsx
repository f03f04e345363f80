import { useState } from "preact/hooks";
import { api, type Totals } from "../api";
import { Loading, Notice, useLoad, when } from "../ui";
import { Chart } from "./charts";

interface Trend extends Totals {
  day: string;
  model: string;
}

/** Per day across accounts (those that objected to trends are left out by the server). */
function UsageTrends() {
  const trends = useLoad(() => api<Trend[]>("GET", "/admin/usage/trends"));
  if (!trends.data) return <Loading error={trends.error} />;
  const days = [...new Set(trends.data.map((t) => t.day))].sort();
  const sum = (d: string, f: (t: Trend) => number) =>
    trends.data!.filter((t) => t.day === d).reduce((n, t) => n + f(t), 0);
  return (
    <>
      {days.length ? (
        <Chart
          title="Requests and tokens per day across accounts"
          x={days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000)}
          series={[
            { label: "requests", values: days.map((d) => sum(d, (t) => t.requests)) },
            { label: "tokens", values: days.map((d) => sum(d, (t) => t.input_tokens + t.output_tokens)) },
          ]}
        />
      ) : null}
      <Table
        caption="Usage per day and model"
        head={["Day", "Model", "Requests", "Input tokens", "Output tokens", "Cost (USD)"]}
        rows={trends.data.map((t) => [t.day, t.model, t.requests, t.input_tokens, t.output_tokens, t.cost_usd])}
      />
    </>
  );
}

interface Decision {
  id: string;
  kind: string;
  subject: string;
  created_at: string;
  expires_at: string | null;
}

function Abuse() {
  const list = useLoad(() => api<Decision[]>("GET", "/admin/abuse"));
  const [error, setError] = useState<string | null>(null);
  if (!list.data) return <Loading error={list.error} />;
  const clear = (d: Decision) => async () => {
    try {
      await api("POST", `/admin/abuse/${d.id}/clear`);
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <Notice error={error} />
      {list.data.length === 0 ? <p>No active abuse decisions.</p> : null}
      <Table
        caption="Active abuse decisions (addresses only as their HMAC)"
        head={["Kind", "Subject", "Since", "Until", "Clear"]}
        rows={list.data.map((d) => [
          d.kind,
          d.subject,
          when(d.created_at),
          d.expires_at ? when(d.expires_at) : "until cleared",
          <button type="button" onClick={clear(d)} aria-label={`Clear ${d.kind} ${d.id}`}>
            Clear
          </button>,
        ])}
      />
    </>
  );
}

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
}

function Audit() {
  const verify = useLoad(() =>
    api<{ ok: boolean; entries: number; first_broken?: number; reason?: string }>("GET", "/admin/audit/verify"),
  );
  const tail = useLoad(() => api<AuditRow[]>("GET", "/admin/audit?limit=50"));
  const v = verify.data;
  return (
    <>
      {!v ? (
        <Loading error={verify.error} />
      ) : v.ok ? (
        <Notice ok={`Audit trail intact: ${v.entries} entries.`} />
      ) : (
        <Notice error={`Audit trail broken at entry ${v.first_broken}: ${v.reason}`} />
      )}
      {!tail.data ? (
        <Loading error={tail.error} />
      ) : (
        <Table
          caption="Newest audit entries"
          head={["#", "When", "Actor", "Action", "Target"]}
          rows={tail.data.map((r) => [r.seq, when(r.at), r.actor, r.action, r.target ?? "—"])}
        />
      )}
    </>
  );
}

interface PolicyStatus {
  version: string;
  material: boolean;
  verified_accounts: number;
  accepted_current: number;
  notices: { sent: number; pending: number; retrying: number };
}

function PolicyNotices() {
  const s = useLoad(() => api<PolicyStatus>("GET", "/admin/policy"));
  if (!s.data) return <Loading error={s.error} />;
  const p = s.data;
  return (
    <ul>
      <li>
        Version in force: {p.version} ({p.material ? "material change" : "not material"})
      </li>
      <li>
        Accepted by {p.accepted_current} of {p.verified_accounts} verified accounts
      </li>
      <li>
        Notices: {p.notices.sent} sent, {p.notices.pending} pending, {p.notices.retrying} retrying
      </li>
    </ul>
  );
}

interface ProviderHealth {
  id: string;
  kind: string;
  zdr: boolean;
  region: string;
  health: { requests: number; success_rate: number | null; avg_latency_ms: number | null; last_error: string | null };
}

function Providers() {
  const p = useLoad(() =>
    api<{ providers: ProviderHealth[]; models: { id: string; provider: string; upstream: string }[] }>(
      "GET",
      "/admin/providers",
    ),
  );
  if (!p.data) return <Loading error={p.error} />;
  return (
    <>
      <Table
        caption="Providers, with their health over the last 24 hours"
        head={["Provider", "Kind", "ZDR", "Region", "Requests", "Success", "Average latency", "Last error"]}
        rows={p.data.providers.map((x) => [
          x.id,
          x.kind,
          x.zdr ? "yes" : "no",
          x.region,
          x.health.requests,
          x.health.success_rate === null ? "—" : `${Math.round(x.health.success_rate * 1000) / 10}%`,
          x.health.avg_latency_ms === null ? "—" : `${x.health.avg_latency_ms} ms`,
          x.health.last_error ?? "—",
        ])}
      />
      <Table
        caption="Models"
        head={["Model", "Provider", "Upstream name"]}
        rows={p.data.models.map((m) => [m.id, m.provider, m.upstream])}
      />
    </>
  );
}

function Table({
  caption,
  head,
  rows,
}: {
  caption: string;
  head: string[];
  rows: (string | number | preact.JSX.Element)[][];
}) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((c, j) => (
              <td key={j}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const AdminOps = [
  { path: "/admin/usage", title: "All usage", view: () => <UsageTrends /> },
  { path: "/admin/abuse", title: "Abuse", view: () => <Abuse /> },
  { path: "/admin/audit", title: "Audit", view: () => <Audit /> },
  { path: "/admin/policy", title: "Policy notices", view: () => <PolicyNotices /> },
  { path: "/admin/providers", title: "Providers", view: () => <Providers /> },
];
