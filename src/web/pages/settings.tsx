import { useState } from "preact/hooks";
import { api, signOut, type Account } from "../api";
import { ActionForm } from "../ui";

export function Settings({ me }: { me: Account }) {
  const [email, setEmail] = useState("");
  return (
    <>
      <h2>Email address</h2>
      <p>Now: {me.email}. A link goes to the new address; it replaces this one only when that link is opened.</p>
      <ActionForm
        label="Change email"
        run={async () => (await api("POST", "/account/email", { email }), `A confirmation link was sent to ${email}.`)}
      >
        <label>
          New email address
          <input
            name="new_email"
            type="email"
            autocomplete="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
      </ActionForm>
      <h2>Sessions</h2>
      <ActionForm label="Sign out" run={() => signOut(false)} />
      <ActionForm label="Sign out everywhere" run={() => signOut(true)} />
    </>
  );
}
