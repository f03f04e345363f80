import { useState } from "preact/hooks";
import { api } from "../api";
import { ActionForm } from "../ui";

/**
 * The token leaves the address bar at once (it stays in this page's memory only), and is spent
 * only by the button's POST: a mail scanner or prefetch that GETs the link leaves it valid.
 */
function useLinkToken(): string {
  const [token] = useState(() => new URLSearchParams(location.search).get("token") ?? "");
  history.replaceState(null, "", location.pathname);
  return token;
}

function LinkPage({
  title,
  text,
  label,
  run,
}: {
  title: string;
  text: string;
  label: string;
  run: (token: string) => Promise<string | void>;
}) {
  const token = useLinkToken();
  return (
    <>
      <header>
        <span class="brand">Kriora</span>
      </header>
      <main id="main" class="narrow">
        <h1>{title}</h1>
        {token ? (
          <>
            <p>{text}</p>
            <ActionForm label={label} run={() => run(token)} />
          </>
        ) : (
          <p>
            This link has no token. Ask for a new one from the <a href="/">sign-in page</a>.
          </p>
        )}
      </main>
    </>
  );
}

export function ConfirmSignIn() {
  return (
    <LinkPage
      title="Sign in to Kriora"
      text="Press the button to sign in on this device. The link works once."
      label="Sign in"
      run={async (token) => {
        await api("POST", "/auth/verify", { token });
        location.assign("/");
      }}
    />
  );
}

export function ConfirmEmail() {
  return (
    <LinkPage
      title="Confirm your new address"
      text="Press the button to make this address the one of your Kriora account."
      label="Confirm the new address"
      run={async (token) => {
        const account = await api<{ email: string }>("POST", "/account/email/verify", { token });
        return `Your account's address is now ${account.email}.`;
      }}
    />
  );
}
