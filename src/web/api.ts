/** A refusal from the API, with its message (never content: the API's errors do not echo requests). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One call to Kriora's public HTTP API, authenticated by the session cookie alone. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error?.message ?? `The request failed (${res.status}).`);
  return data as T;
}

/** End this session, or every session of the account, and return to the sign-in page. */
export async function signOut(everywhere: boolean): Promise<void> {
  await api("POST", everywhere ? "/auth/logout-all" : "/auth/logout");
  location.assign("/");
}

/** Hand the browser a file made here (export, CSV) without storing anything. */
export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export interface Account {
  id: string;
  email: string | null;
  status: "active" | "suspended" | "restricted" | "erased";
  role: "user" | "admin";
  policy_version: string | null;
  policy_accepted_at: string | null;
  created_at: string;
}

export interface Key {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  rpm: number | null;
  tpm: number | null;
  models: string[] | null;
  monthly_budget_usd: number | null;
}

export interface Totals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: string;
  errors: number;
}

export interface RightsRequest {
  id: string;
  account_id: string;
  kind: string;
  scope: string | null;
  received_at: string;
  due_at: string;
  completed_at: string | null;
  outcome: string | null;
}
