import { useState } from "preact/hooks";
import { api } from "../api";
import { ActionForm, Notice, useLoad } from "../ui";
import { loadPolicy } from "./policy";

/** Signed out: sign in by email, or sign up with the age confirmation and the policy accepted. */
export function SignedOut({ route }: { route: string }) {
  const signup = route === "/signup";
  return (
    <>
      <header>
        <span class="brand">Kriora</span>
      </header>
      <main id="main" class="narrow">
        <h1>{signup ? "Create your account" : "Sign in"}</h1>
        <Notice ok={route === "/erased" ? "Your account and your data were erased. You are signed out." : null} />
        {signup ? <SignUpForm /> : <SignInForm />}
        <p>
          {signup ? <a href="#/">I already have an account</a> : <a href="#/signup">Create an account</a>} ·{" "}
          <a href="/privacy">Privacy policy</a>
        </p>
      </main>
    </>
  );
}

const SENT =
  "If this address can sign in, a link is on its way. Open it within 15 minutes, then press the button on the page it opens.";

function SignInForm() {
  const [email, setEmail] = useState("");
  return (
    <ActionForm label="Email me a sign-in link" run={async () => (await api("POST", "/auth/login", { email }), SENT)}>
      <label>
        Email address
        <input
          type="email"
          name="email"
          autocomplete="email"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
    </ActionForm>
  );
}

function SignUpForm() {
  const policy = useLoad(loadPolicy);
  const age = policy.data
    ? `at least ${policy.data.in_force.minimum_age} years old`
    : "old enough to use Kriora (see the privacy policy)";
  const [email, setEmail] = useState("");
  const [ageConfirmed, setAgeConfirmed] = useState(false);
  const [accepted, setAccepted] = useState(false);
  return (
    <ActionForm
      label="Create account"
      run={async () => (
        await api("POST", "/auth/signup", { email, age_confirmed: ageConfirmed, accept_policy: accepted }), SENT
      )}
    >
      <label>
        Email address
        <input
          type="email"
          name="email"
          autocomplete="email"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
      <label class="check">
        <input
          type="checkbox"
          name="age_confirmed"
          checked={ageConfirmed}
          onChange={(e) => setAgeConfirmed(e.currentTarget.checked)}
        />
        I confirm I am {age}
      </label>
      <label class="check">
        <input
          type="checkbox"
          name="accept_policy"
          checked={accepted}
          onChange={(e) => setAccepted(e.currentTarget.checked)}
        />
        I accept the privacy policy in force
        {policy.data ? ` (version ${policy.data.version})` : ""}
      </label>
    </ActionForm>
  );
}
