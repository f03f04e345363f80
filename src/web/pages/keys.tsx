import { useState } from "preact/hooks";
import { api, type Account, type Key } from "../api";
import { ActionForm, day, Loading, Notice, useLoad } from "../ui";
import { loadOverview } from "./overview";

interface Issued extends Key {
  key: string;
}

const list = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const optionalInt = (text: string) => (text.trim() === "" ? undefined : Number(text));

/** Create, list and revoke keys; a new key is shown once and kept nowhere but on screen. */
export function Keys({ me }: { me: Account }) {
  const keys = useLoad(() => api<Key[]>("GET", "/account/keys"));
  const overview = useLoad(loadOverview);
  const [issued, setIssued] = useState<Issued | null>(null);
  const base = (overview.data?.public_url ?? location.origin).replace(/\/+$/, "");
  return (
    <>
      <h2>New key</h2>
      <NewKey admin={me.role === "admin"} onIssued={(k) => (setIssued(k), keys.reload())} />
      {issued ? <IssuedKey issued={issued} base={base} /> : null}
      <h2>Your keys</h2>
      {!keys.data ? <Loading error={keys.error} /> : <KeyTable keys={keys.data} onRevoked={keys.reload} />}
    </>
  );
}

function NewKey({ admin, onIssued }: { admin: boolean; onIssued: (k: Issued) => void }) {
  const [f, setF] = useState({
    name: "",
    model: true,
    account: false,
    adminScope: false,
    days: "90",
    models: "",
    rpm: "",
    tpm: "",
    budget: "",
  });
  const set = (k: keyof typeof f) => (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    setF({ ...f, [k]: el.type === "checkbox" ? el.checked : el.value });
  };
  const create = async () => {
    const scopes = [f.model && "model", f.account && "account", f.adminScope && "admin"].filter((s): s is string =>
      Boolean(s),
    );
    const body: Record<string, unknown> = {
      name: f.name || undefined,
      scopes,
      expires_in_days: optionalInt(f.days),
      rpm: optionalInt(f.rpm),
      tpm: optionalInt(f.tpm),
    };
    if (f.models.trim()) body.models = list(f.models);
    if (f.budget.trim()) body.monthly_budget_usd = Number(f.budget);
    onIssued(await api<Issued>("POST", "/account/keys", body));
    return "Key created: copy it now, it is not shown again.";
  };
  return (
    <ActionForm label="Create key" run={create} name="New key">
      <div class="grid">
        <label>
          Name
          <input name="name" maxLength={100} value={f.name} onInput={set("name")} />
        </label>
        <label>
          Expires after (days, empty for never)
          <input name="expires_in_days" type="number" min={1} max={3650} value={f.days} onInput={set("days")} />
        </label>
        <label>
          Allowed models (comma-separated, empty for all)
          <input name="models" value={f.models} onInput={set("models")} />
        </label>
        <label>
          Requests per minute
          <input name="rpm" type="number" min={1} value={f.rpm} onInput={set("rpm")} />
        </label>
        <label>
          Tokens per minute
          <input name="tpm" type="number" min={1} value={f.tpm} onInput={set("tpm")} />
        </label>
        <label>
          Monthly budget (USD)
          <input
            name="monthly_budget_usd"
            inputMode="decimal"
            pattern="\d+(\.\d{1,6})?"
            value={f.budget}
            onInput={set("budget")}
          />
        </label>
      </div>
      <fieldset>
        <legend>Scopes</legend>
        <label class="check">
          <input type="checkbox" name="scope_model" checked={f.model} onChange={set("model")} />
          model: call models
        </label>
        <label class="check">
          <input type="checkbox" name="scope_account" checked={f.account} onChange={set("account")} />
          account: manage this account
        </label>
        {admin ? (
          <label class="check">
            <input type="checkbox" name="scope_admin" checked={f.adminScope} onChange={set("adminScope")} />
            admin: administer the gateway
          </label>
        ) : null}
      </fieldset>
    </ActionForm>
  );
}

function IssuedKey({ issued, base }: { issued: Issued; base: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    await navigator.clipboard.writeText(issued.key);
    setCopied("Copied.");
  };
  const model = issued.models?.[0] ?? "MODEL";
  return (
    <section class="issued" aria-labelledby="issued-title">
      <h2 id="issued-title">Your new key “{issued.name}”</h2>
      <p>This is the only time the key is shown. Kriora does not store it: it keeps only the key's id and settings.</p>
      <p class="secret">
        <code data-testid="issued-key">{issued.key}</code>{" "}
        <button type="button" onClick={() => void copy()}>
          Copy key
        </button>
      </p>
      <Notice ok={copied} />
      <h3>OpenAI SDK (Python)</h3>
      <pre>{`from openai import OpenAI\nclient = OpenAI(base_url="${base}/v1", api_key="${issued.key}")\nclient.chat.completions.create(model="${model}", messages=[{"role": "user", "content": "Hello"}])`}</pre>
      <h3>Anthropic SDK (Python)</h3>
      <pre>{`from anthropic import Anthropic\nclient = Anthropic(base_url="${base}", api_key="${issued.key}")\nclient.messages.create(model="${model}", max_tokens=256, messages=[{"role": "user", "content": "Hello"}])`}</pre>
    </section>
  );
}

function KeyTable({ keys, onRevoked }: { keys: Key[]; onRevoked: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const revoke = async (k: Key) => {
    if (!confirm(`Revoke the key “${k.name}”? Programs using it stop at once.`)) return;
    try {
      await api("DELETE", `/account/keys/${encodeURIComponent(k.id)}`);
      onRevoked();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  if (keys.length === 0) return <p>No keys yet.</p>;
  return (
    <>
      <Notice error={error} />
      <table>
        <caption class="sr-only">Your keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Id</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Limits</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.id}</code>
              </td>
              <td>{k.scopes.join(", ")}</td>
              <td>{day(k.created_at)}</td>
              <td>{day(k.expires_at)}</td>
              <td>
                {[
                  k.rpm && `${k.rpm} rpm`,
                  k.tpm && `${k.tpm} tpm`,
                  k.monthly_budget_usd && `$${k.monthly_budget_usd}/month`,
                  k.models?.join(" "),
                ]
                  .filter(Boolean)
                  .join(" · ") || "—"}
              </td>
              <td>
                {k.revoked_at ? (
                  `revoked ${day(k.revoked_at)}`
                ) : (
                  <button
                    type="button"
                    class="danger"
                    onClick={() => void revoke(k)}
                    aria-label={`Revoke ${k.name} (${k.id})`}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
