import { api } from "../api";
import { Loading, useLoad } from "../ui";

interface PolicySummary {
  version: string;
  material: boolean;
  text: string;
  in_force: {
    retention: { ip_days: number; usage_detail_days: number; billing_years: number; audit_years: number };
    providers: { id: string; zdr: boolean; region: string }[];
    minimum_age: number;
    rights_response: string;
  };
  rights: { right: string; how: string }[];
}

export const loadPolicy = () => api<PolicySummary>("GET", "/privacy");

/** `/privacy` for a browser: the policy text, its version, and what is in force. */
export function PolicyPage() {
  const policy = useLoad(loadPolicy);
  const p = policy.data;
  return (
    <>
      <header>
        <span class="brand">Kriora</span>
        <nav aria-label="Console">
          <a href="/">Console</a>
        </nav>
      </header>
      <main id="main" class="narrow">
        <h1>Privacy policy</h1>
        {!p ? (
          <Loading error={policy.error} />
        ) : (
          <>
            <p>
              Version <strong>{p.version}</strong>
              {p.material ? " (a material change, announced by email)" : ""}. Minimum age: {p.in_force.minimum_age}.
            </p>
            {p.text ? (
              <pre class="policy">{p.text}</pre>
            ) : (
              <p>The operator has not published a policy text; what is in force is below.</p>
            )}
            <h2>In force</h2>
            <ul>
              <li>Prompts and responses: never stored.</li>
              <li>
                Client addresses kept {p.in_force.retention.ip_days} days; per-request usage{" "}
                {p.in_force.retention.usage_detail_days} days.
              </li>
              <li>
                Billing records {p.in_force.retention.billing_years} years; audit trail{" "}
                {p.in_force.retention.audit_years} years.
              </li>
              <li>Rights requests answered within {p.in_force.rights_response}.</li>
            </ul>
            <h2>Providers</h2>
            <table>
              <caption>Model providers this server may use</caption>
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Zero data retention</th>
                  <th scope="col">Region</th>
                </tr>
              </thead>
              <tbody>
                {p.in_force.providers.map((pr) => (
                  <tr key={pr.id}>
                    <td>{pr.id}</td>
                    <td>{pr.zdr ? "yes" : "no"}</td>
                    <td>{pr.region}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Your rights</h2>
            <ul>
              {p.rights.map((r) => (
                <li key={r.right}>
                  {r.right}: {r.how}
                </li>
              ))}
            </ul>
          </>
        )}
      </main>
    </>
  );
}
