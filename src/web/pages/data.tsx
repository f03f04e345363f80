import { useState } from "preact/hooks";
import { api, download, type Account, type RightsRequest } from "../api";
import { ActionForm, day, Loading, useLoad } from "../ui";
import { loadPolicy } from "./policy";

/** The person's rights (Policy §14): export, restriction, objection, erasure, the policy, their requests. */
export function DataRights({ me }: { me: Account }) {
  const requests = useLoad(() => api<RightsRequest[]>("GET", "/account/requests"));
  const policy = useLoad(loadPolicy);
  const [scope, setScope] = useState("usage_trends");
  const [typed, setTyped] = useState("");
  const done = (text: string) => async () => (requests.reload(), text);
  return (
    <>
      <h2>Download your data</h2>
      <p>One JSON document (kriora.export/v1) with everything held about you. It is recorded as an access request.</p>
      <ActionForm
        label="Download my data"
        run={async () => {
          const doc = await api<unknown>("POST", "/account/export");
          download("kriora-export.json", "application/json", JSON.stringify(doc, null, 2));
          return done("Your export was downloaded.")();
        }}
      />
      <h2>Privacy policy</h2>
      {policy.data ? (
        <p>
          In force: version {policy.data.version} (<a href="/privacy">read it</a>). You accepted:{" "}
          {me.policy_version ?? "none yet"}.
        </p>
      ) : (
        <Loading error={policy.error} />
      )}
      {policy.data && me.policy_version !== policy.data.version ? (
        <ActionForm
          label="Accept the policy in force"
          run={async () => (await api("POST", "/account/policy/accept"), location.reload())}
        />
      ) : null}
      <h2>Restrict processing</h2>
      <p>
        Your keys stop calling models and your data is kept as it is until an administrator lifts the restriction (you
        are emailed first).
      </p>
      {me.status === "restricted" ? (
        <p>Your account is restricted.</p>
      ) : (
        <ActionForm
          label="Restrict my account"
          danger
          run={async () => {
            if (!confirm("Restrict your account? Your keys stop calling models until an administrator lifts it."))
              return;
            await api("POST", "/account/restrict");
            return done("Your account is now restricted.")();
          }}
        />
      )}
      <h2>Object to processing</h2>
      <ActionForm
        label="Send objection"
        run={async () => (await api("POST", "/account/object", { scope }), done("Your objection is recorded.")())}
      >
        <label>
          Processing you object to
          <select name="scope" value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
            <option value="usage_trends">usage trends (takes effect at once)</option>
            <option value="abuse_detection">abuse detection (decided by an administrator)</option>
          </select>
        </label>
      </ActionForm>
      <h2>Erase your account</h2>
      <p>
        Everything about you is deleted now; billing records stay under legal hold, no longer linked to you. This needs
        a sign-in from the last 10 minutes. Type your email address to confirm.
      </p>
      <ActionForm
        label="Erase my account"
        danger
        run={async () => {
          if (typed.trim().toLowerCase() !== (me.email ?? "").toLowerCase())
            throw new Error("Type your email address exactly to confirm.");
          await api("POST", "/account/delete", { confirm: true });
          // The session is gone: start the console afresh, signed out, with the outcome shown.
          location.hash = "/erased";
          location.reload();
        }}
      >
        <label>
          Your email address
          <input
            name="confirm_email"
            type="email"
            autocomplete="off"
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </label>
      </ActionForm>
      <h2>Your requests</h2>
      {!requests.data ? <Loading error={requests.error} /> : <RequestTable rows={requests.data} />}
    </>
  );
}

export function RequestTable({
  rows,
  children,
}: {
  rows: RightsRequest[];
  children?: (r: RightsRequest) => preact.JSX.Element | null;
}) {
  if (rows.length === 0) return <p>No requests.</p>;
  return (
    <table>
      <caption class="sr-only">Rights requests</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Received</th>
          <th scope="col">Due</th>
          <th scope="col">Status</th>
          {children ? <th scope="col">Decide</th> : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>
              {r.kind}
              {r.scope ? ` (${r.scope})` : ""}
            </td>
            <td>{day(r.received_at)}</td>
            <td>{day(r.due_at)}</td>
            <td>{r.completed_at ? `${r.outcome ?? "done"} ${day(r.completed_at)}` : "open"}</td>
            {children ? <td>{children(r)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
