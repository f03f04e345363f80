import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

/** Data loaded from the API for a view, reloadable after a change. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const reload = useCallback(() => {
    load().then(
      (data) => setState({ data }),
      (err: Error) => setState({ error: err.message }),
    );
  }, deps);
  useEffect(reload, [reload]);
  return { ...state, reload };
}

/** An error or a confirmation, announced to screen readers. */
export function Notice({ error, ok }: { error?: string | null; ok?: string | null }) {
  if (error)
    return (
      <p class="notice error" role="alert">
        {error}
      </p>
    );
  if (ok)
    return (
      <p class="notice ok" role="status">
        {ok}
      </p>
    );
  return null;
}

/** A view's state while its data loads. */
export function Loading({ error }: { error?: string }) {
  return error ? <Notice error={error} /> : <p aria-busy="true">Loading…</p>;
}

/** A form whose submit runs one API action, disabled while it runs, with its outcome shown. */
export function ActionForm(props: {
  label: string;
  run: () => Promise<string | void>;
  children?: ComponentChildren;
  danger?: boolean;
  name?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ error?: string; ok?: string }>({});
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setOutcome({});
    try {
      setOutcome({ ok: (await props.run()) ?? undefined });
    } catch (err) {
      setOutcome({ error: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label={props.name ?? props.label}>
      {props.children}
      <button type="submit" disabled={busy} class={props.danger ? "danger" : undefined}>
        {props.label}
      </button>
      <Notice error={outcome.error} ok={outcome.ok} />
    </form>
  );
}

export const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "—");
export const when = (iso: string | null) => (iso ? iso.replace("T", " ").slice(0, 16) + " UTC" : "—");
