import { useState } from "preact/hooks";
import { api, type Account, type RightsRequest } from "../api";
import { ActionForm, Loading, Notice, useLoad, when } from "../ui";
import { RequestTable } from "./data";
import { AdminOps } from "./adminOps";

/** Find an account by its exact address (blind index: the server never scans emails), then act on it. */
function Accounts() {
  const [email, setEmail] = useState("");
  const [account, setAccount] = useState<Account | null>(null);
  return (
    <>
      <ActionForm
        label="Find account"
        run={async () => void setAccount(await api<Account>("POST", "/admin/accounts/lookup", { email }))}
      >
        <label>
          Email address (exact)
          <input
            name="lookup_email"
            type="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
      </ActionForm>
      {account ? <AccountView account={account} onChange={setAccount} /> : null}
    </>
  );
}

function AccountView({ account, onChange }: { account: Account; onChange: (a: Account) => void }) {
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const act = (path: string, label: string) => async () => (
    onChange(await api<Account>("POST", `/admin/accounts/${account.id}/${path}`)), label
  );
  return (
    <section aria-labelledby="account-title">
      <h2 id="account-title">{account.email}</h2>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{account.id}</code>
        </dd>
        <dt>Status</dt>
        <dd data-testid="account-status">{account.status}</dd>
        <dt>Role</dt>
        <dd>{account.role}</dd>
        <dt>Created</dt>
        <dd>{when(account.created_at)}</dd>
        <dt>Policy accepted</dt>
        <dd>{account.policy_version ?? "none"}</dd>
      </dl>
      <div class="row">
        {account.status === "suspended" ? (
          <ActionForm label="Unsuspend" run={act("unsuspend", "Suspension lifted.")} />
        ) : (
          <ActionForm
            label="Suspend"
            danger
            run={act("suspend", "Account suspended: its keys and sessions stopped.")}
          />
        )}
        {account.status === "restricted" ? (
          <ActionForm label="Lift restriction" run={act("unrestrict", "Restriction lifted; the person was emailed.")} />
        ) : (
          <ActionForm label="Restrict" run={act("restrict", "Account restricted.")} />
        )}
      </div>
      <h3>Credits</h3>
      <ActionForm
        label="Grant credits"
        run={async () => (
          await api("POST", `/admin/accounts/${account.id}/credits`, { kind: "grant", amount_usd: amount, reason }),
          `Granted $${amount}.`
        )}
      >
        <label>
          Amount (USD)
          <input
            name="credit_amount"
            inputMode="decimal"
            required
            value={amount}
            onInput={(e) => setAmount(e.currentTarget.value)}
          />
        </label>
        <label>
          Reason (no email addresses)
          <input name="credit_reason" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
      </ActionForm>
    </section>
  );
}

/** The rights ledger, overdue first, with objections to abuse detection decided here. */
function Rights() {
  const rows = useLoad(() => api<RightsRequest[]>("GET", "/admin/privacy/requests"));
  const [error, setError] = useState<string | null>(null);
  if (!rows.data) return <Loading error={rows.error} />;
  const now = new Date().toISOString();
  const late = (r: RightsRequest) => (!r.completed_at && r.due_at < now ? 0 : r.completed_at ? 2 : 1);
  const sorted = [...rows.data].sort((a, b) => late(a) - late(b) || a.due_at.localeCompare(b.due_at));
  const decide = (r: RightsRequest, outcome: string) => async () => {
    try {
      await api("POST", `/admin/privacy/requests/${r.id}/decide`, { outcome });
      rows.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <p>{sorted.filter((r) => late(r) === 0).length} overdue.</p>
      <Notice error={error} />
      <RequestTable rows={sorted}>
        {(r) =>
          r.kind === "object" && r.scope === "abuse_detection" && !r.completed_at ? (
            <span class="row">
              <button type="button" onClick={decide(r, "upheld")}>
                Uphold
              </button>
              <button type="button" onClick={decide(r, "dismissed")}>
                Dismiss
              </button>
            </span>
          ) : null
        }
      </RequestTable>
    </>
  );
}

export const ADMIN_PAGES = [
  { path: "/admin", title: "Accounts", view: () => <Accounts /> },
  { path: "/admin/rights", title: "Rights ledger", view: () => <Rights /> },
  ...AdminOps,
];
